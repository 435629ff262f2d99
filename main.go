// Command wasmflow is the one binary: the CLI, the server, the worker and, when built with
// `wails build` (the desktop tag), the desktop window.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/wasmflow/wasmflow/app/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := os.Args[1:]
	if len(args) == 0 && hasWindow {
		os.Exit(runWindow(ctx))
	}
	os.Exit(cli.Run(ctx, args, cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
