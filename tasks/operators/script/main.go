// Command script is the module of the built-in operator `operator: script`: it runs the task's
// inline JavaScript with goja (a pure-Go engine, so the whole interpreter is this one WASI
// module) and makes what the script returns the task's return_value XCom.
//
// It reads the operator input of docs/operators.md on stdin: {"operator", "fields", "context"}.
// The script sees the template names of SPEC.md §3 that are data (ds, params, conf, ...), and
// xcom(task_id[, key]), log(...) and http(...) (granted HTTP, http.go) through the host module. A thrown error exits 1 with the
// JavaScript message and its line in the code.
//
// Built with GOOS=wasip1 GOARCH=wasm by `make operators` (part of `make build`); built for the
// host it only serves `go vet`.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dop251/goja"
	"github.com/wasmflow/wasmflow/tasks/sdk"
)

// input is the operator input on stdin (docs/operators.md, "The module's input").
type input struct {
	Operator string         `json:"operator"`
	Fields   map[string]any `json:"fields"`
	Context  map[string]any `json:"context"`
	File     string         `json:"file"`
	Lines    map[string]int `json:"lines"` // where a block field starts in File
}

// codeName is the script's file name in goja's positions: errors read "code:3:9".
const codeName = "code"

// wrapOpen starts the function the code is the body of, on the code's first line.
const wrapOpen = "(function(){"

func main() {
	out, err := run(os.Stdin)
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

func run(stdin io.Reader) ([]byte, error) {
	// The engine is made before the input is read: the runner keeps instances of this module
	// waiting on stdin with goja started (runtime/pool.go), so a try does not pay for it.
	vm := goja.New()
	vm.SetFieldNameMapper(goja.TagFieldNameMapper("json", true))
	var in input
	if err := json.NewDecoder(stdin).Decode(&in); err != nil {
		return nil, fmt.Errorf("operator input on stdin is not JSON (this module is run by `operator: script`, not by hand): %w", err)
	}
	if lang, _ := in.Fields["language"].(string); lang != "" && lang != "javascript" {
		return nil, fmt.Errorf("language %q is not supported: only javascript", lang)
	}
	code, _ := in.Fields["code"].(string)
	if err := globals(vm, in.Context); err != nil {
		return nil, err
	}
	// The body is a function's, so `return` gives the XCom; it starts on the wrapper's line so
	// that the positions of errors are the code's own lines.
	v, err := vm.RunScript(codeName, wrapOpen+code+"\n})()")
	if err != nil {
		return nil, describe(err, in.where())
	}
	return encode(vm, v)
}

// globals defines the template names, xcom(), log() and http() for the script.
func globals(vm *goja.Runtime, ctx map[string]any) error {
	for k, v := range ctx {
		if err := vm.Set(k, v); err != nil {
			return err
		}
	}
	if err := vm.Set("xcom", func(taskID string, key ...string) any {
		k := sdk.ReturnValue
		if len(key) > 0 && key[0] != "" {
			k = key[0]
		}
		b, ok := sdk.XComPull(taskID, k)
		if !ok {
			return nil
		}
		return string(b)
	}); err != nil {
		return err
	}
	logf := func(call goja.FunctionCall) goja.Value {
		parts := make([]string, len(call.Arguments))
		for i, a := range call.Arguments {
			parts[i] = a.String()
		}
		sdk.Log(strings.Join(parts, " "))
		return goja.Undefined()
	}
	if err := vm.Set("log", logf); err != nil {
		return err
	}
	console := vm.NewObject()
	_ = console.Set("log", logf)
	_ = console.Set("error", logf)
	if err := vm.Set("console", console); err != nil {
		return err
	}
	return defineHTTP(vm)
}

// encode is the return_value: a string as it is, anything else as JSON; undefined and null
// push nothing.
func encode(vm *goja.Runtime, v goja.Value) ([]byte, error) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, nil
	}
	if s, ok := v.Export().(string); ok {
		return []byte(s), nil
	}
	b, err := json.Marshal(v.Export())
	if err != nil {
		return nil, fmt.Errorf("the script's return value is not JSON: %w", err)
	}
	return b, nil
}

// where places line n of code in the DAG file: " (etl.yaml:14)", or "" where unknown.
func (in input) where() func(line int) string {
	return func(line int) string {
		start, ok := in.Lines["code"]
		if !ok || in.File == "" {
			return ""
		}
		return fmt.Sprintf(" (%s:%d)", in.File, start+line-1)
	}
}

// describe turns a thrown value into "line 3, column 9 of code (etl.yaml:14): Error: boom".
func describe(err error, where func(line int) string) error {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		msg := ex.Value().String()
		for _, f := range ex.Stack() {
			if p := f.Position(); p.Filename == codeName && p.Line > 0 {
				if p.Line == 1 {
					p.Column -= len(wrapOpen)
				}
				return fmt.Errorf("script failed at line %d, column %d of code%s: %s", p.Line, p.Column, where(p.Line), msg)
			}
		}
		return fmt.Errorf("script failed: %s", msg)
	}
	var se *goja.CompilerSyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("script does not compile: %s", strings.TrimPrefix(se.Error(), "SyntaxError: "))
	}
	return fmt.Errorf("script failed: %v", err)
}
