//go:build desktop || bindings || dev

package main

import (
	"context"
	_ "embed"
	"os"

	"github.com/wasmflow/wasmflow/app/desktop"
	"github.com/wasmflow/wasmflow/frontend"
)

// The desktop build (`wails build`, `make desktop`): `wasmflow` with no arguments opens the
// window; with arguments it is the same CLI as the headless build.
const hasWindow = true

//go:embed build/appicon.png
var icon []byte

func runWindow(ctx context.Context) int {
	return desktop.Run(ctx, desktop.Options{Assets: frontend.Dist(), Icon: icon, Getenv: os.Getenv, Stderr: os.Stderr,
		BindingsOnly: bindingsOnly})
}
