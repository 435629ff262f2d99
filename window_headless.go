//go:build !desktop && !bindings && !dev

package main

import "context"

// The plain `go build` is headless and cgo-free: no webkit, no window. `wasmflow` with no
// arguments prints the help instead.
const hasWindow = false

func runWindow(context.Context) int { return 1 }
