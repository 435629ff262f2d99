// Command flaky is an example task that needs its retries: it fails until its try number
// (WASMFLOW_TRY_NUMBER) reaches its first argument (default 3), then succeeds.
//
//	GOOS=wasip1 GOARCH=wasm go build -o flaky.wasm ./examples/modules/flaky
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/wasmflow/wasmflow/tasks/sdk"
)

func main() {
	need := 3
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "flaky: %q is not a try number\n", os.Args[1])
			os.Exit(2)
		}
		need = n
	}
	try := sdk.TryNumber()
	if try < need {
		fmt.Fprintf(os.Stderr, "flaky: try %d of the %d this task needs: failing on purpose\n", try, need)
		os.Exit(1)
	}
	fmt.Printf("flaky: try %d succeeded\n", try)
}
