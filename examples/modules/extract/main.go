// Command extract is an example task that produces a value: it counts the rows of
// /data/<ds>.csv when the task mounts a data directory there, else it uses the number given as
// its first argument (default 42). It prints the number last, so the number becomes the task's
// return_value XCom (Airflow's BashOperator rule), and pushes the source it used as the XCom
// "source".
//
//	GOOS=wasip1 GOARCH=wasm go build -o extract.wasm ./examples/modules/extract
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/wasmflow/wasmflow/tasks/sdk"
)

func main() {
	n, source := 42, "default"
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil {
			fmt.Fprintf(os.Stderr, "extract: %q is not a whole number\n", os.Args[1])
			os.Exit(1)
		}
		n, source = v, "argument"
	}
	if path := "/data/" + sdk.DS() + ".csv"; sdk.DS() != "" {
		if b, err := os.ReadFile(path); err == nil {
			n, source = bytes.Count(b, []byte("\n")), path
		}
	}
	fmt.Printf("extracting for %s (dag %s, run %s, try %d) from %s\n", sdk.DS(), sdk.DagID(), sdk.RunID(), sdk.TryNumber(), source)
	if err := sdk.XComPush("source", []byte(source)); err != nil {
		fmt.Fprintln(os.Stderr, "extract:", err)
		os.Exit(1)
	}
	fmt.Println(n)
}
