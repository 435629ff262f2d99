// Package frontend holds the web views (TypeScript + Vite, built into dist/) and embeds the
// built files for `wasmflow server` and the desktop window. The built dist/ is committed, so
// a plain `go build` on a fresh clone has the whole UI without Node; `make frontend` rebuilds
// it, and `make test` checks that the committed build matches the sources.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built views, rooted at dist/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded at build time; Sub on a literal folder cannot fail
	}
	return sub
}
