// Command choose is an example branch module (a task with `branch: true`): it prints a JSON
// list of the task ids to follow, which becomes its return_value. It pulls the return_value of
// -from (default "extract") and follows -above when the value is above -threshold, else -below.
//
//	choose -threshold 10 -above transform -below skip_note [-from extract]
//
//	GOOS=wasip1 GOARCH=wasm go build -o choose.wasm ./examples/modules/choose
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/wasmflow/wasmflow/tasks/sdk"
)

func main() {
	from := flag.String("from", "extract", "the task whose return_value decides")
	threshold := flag.Float64("threshold", 0, "the value to compare with")
	above := flag.String("above", "", "comma-separated task ids to follow when the value is above the threshold")
	below := flag.String("below", "", "comma-separated task ids to follow otherwise")
	flag.Parse()

	v, ok := sdk.XComPull(*from, sdk.ReturnValue)
	if !ok {
		fmt.Fprintf(os.Stderr, "choose: no return_value XCom from %q\n", *from)
		os.Exit(1)
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "choose: %s's return_value %q is not a number\n", *from, v)
		os.Exit(1)
	}
	pick := *below
	if n > *threshold {
		pick = *above
	}
	ids := []string{}
	for _, id := range strings.Split(pick, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	fmt.Fprintf(os.Stderr, "choose: %s=%v, threshold %v\n", *from, n, *threshold)
	out, _ := json.Marshal(ids)
	fmt.Println(string(out))
}
