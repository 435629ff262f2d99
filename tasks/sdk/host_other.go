//go:build !wasip1

package sdk

import (
	"fmt"
	"os"
)

// notWasmflow stands for "no host": this build does not run under wasmflow.
const notWasmflow = -1 << 31

func xcomPush(string, []byte) int32 { return notWasmflow }

func xcomPull(string, string, []byte) int32 { return notWasmflow }

func hostLog(msg string) { fmt.Fprintln(os.Stderr, msg) }
