//go:build race

package metastore

// raceEnabled: the race detector slows the translated SQLite down ~30x, so timing
// assertions are skipped.
const raceEnabled = true
