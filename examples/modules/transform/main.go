// Command transform is an example task that consumes an XCom through the SDK: it pulls the
// return_value of the task named by its first argument (default "extract"), doubles it, and
// writes the result to /xcom/return_value.
//
//	GOOS=wasip1 GOARCH=wasm go build -o transform.wasm ./examples/modules/transform
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/wasmflow/wasmflow/tasks/sdk"
)

func main() {
	from := "extract"
	if len(os.Args) > 1 {
		from = os.Args[1]
	}
	v, ok := sdk.XComPull(from, sdk.ReturnValue)
	if !ok {
		fmt.Fprintf(os.Stderr, "transform: no return_value XCom from %q\n", from)
		os.Exit(1)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(v)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "transform: %s's return_value %q is not a whole number\n", from, v)
		os.Exit(1)
	}
	sdk.Logf("transform: got %d from %s", n, from)
	out := strconv.Itoa(2 * n)
	if err := os.WriteFile("/xcom/return_value", []byte(out), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "transform:", err)
		os.Exit(1)
	}
	fmt.Printf("%d doubled is %s\n", n, out)
}
