//go:build bindings

package main

// Wails' binding generator builds with the bindings tag and runs the binary: it only needs
// wails.Run to be reached, not the scheduler.
const bindingsOnly = true
