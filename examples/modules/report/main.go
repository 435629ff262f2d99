// Command report is an example task at the end of a pipeline: it pulls the return_value of
// every task named in its arguments (default: extract transform), prints a line for each, and
// writes them as a JSON object to the XCom "report". A missing XCom (a skipped branch) is
// reported, not an error.
//
//	GOOS=wasip1 GOARCH=wasm go build -o report.wasm ./examples/modules/report
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/wasmflow/wasmflow/tasks/sdk"
)

func main() {
	tasks := os.Args[1:]
	if len(tasks) == 0 {
		tasks = []string{"extract", "transform"}
	}
	report := map[string]any{"dag_id": sdk.DagID(), "run_id": sdk.RunID(), "ds": sdk.DS()}
	values := map[string]any{}
	for _, task := range tasks {
		v, ok := sdk.XComPull(task, sdk.ReturnValue)
		if !ok {
			fmt.Printf("%-12s (no value)\n", task)
			values[task] = nil
			continue
		}
		fmt.Printf("%-12s %s\n", task, v)
		values[task] = string(v)
	}
	report["values"] = values
	b, _ := json.Marshal(report)
	if err := sdk.XComPush("report", b); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	fmt.Printf("reported %d tasks for %s\n", len(tasks), sdk.DS())
}
