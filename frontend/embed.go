// Package frontend holds the web views (TypeScript + Vite, built into dist/) and embeds the
// built files for `wasmflow server` and the desktop window. dist/ is committed with a
// placeholder page so `go build` works on a fresh clone without Node; the UI build replaces it.
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
