//go:build !race

package metastore

const raceEnabled = false
