// Package guest is what the built-in operators' modules share inside the sandbox: reading the
// operator input on stdin and turning a module's answer into its exit (docs/operators.md,
// "The module's input"). It is guest code, built with GOOS=wasip1 into each module.
package guest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/wasmflow/wasmflow/tasks/sdk"
)

// Input is the operator input on stdin: the operator's name and its rendered fields.
type Input struct {
	Operator string            `json:"operator"`
	Fields   map[string]string `json:"fields"`
}

// ErrNotYet wraps a sensor's "not yet": the module exits 100 and the scheduler pokes again.
var ErrNotYet = errors.New("not yet")

// Main reads the input of operator name from stdin and runs run on it. A nil answer pushes
// nothing (a sensor whose condition holds); any other is the return_value XCom. An error
// wrapping ErrNotYet exits 100; any other fails the try with its message.
func Main(name string, run func(Input) ([]byte, error)) {
	out, err := read(os.Stdin, name, run)
	if errors.Is(err, ErrNotYet) {
		fmt.Fprintln(os.Stderr, err)
		sdk.NotYet()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if out == nil {
		return
	}
	if err := sdk.XComPush(sdk.ReturnValue, out); err != nil {
		fmt.Fprintln(os.Stderr, "push the return_value XCom:", err)
		os.Exit(1)
	}
}

func read(stdin io.Reader, name string, run func(Input) ([]byte, error)) ([]byte, error) {
	var in Input
	if err := json.NewDecoder(stdin).Decode(&in); err != nil {
		return nil, fmt.Errorf("operator input on stdin is not JSON (this module is run by `operator: %s`, not by hand): %w", name, err)
	}
	if in.Fields == nil {
		in.Fields = map[string]string{}
	}
	return run(in)
}
