// Command fail is an example task that always fails: it explains itself on stderr and exits 1
// (for trigger rules such as all_failed and one_failed, and for on-failure paths).
//
//	GOOS=wasip1 GOARCH=wasm go build -o fail.wasm ./examples/modules/fail
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	msg := "failing on purpose"
	if len(os.Args) > 1 {
		msg = strings.Join(os.Args[1:], " ")
	}
	fmt.Fprintln(os.Stderr, "fail:", msg)
	os.Exit(1)
}
