// Package operators holds wasmflow's built-in operators (SPEC.md §9): for each, its field
// table, which the DAG parser validates a task against, and its WebAssembly module, embedded in
// the binary.
//
// It lives under tasks/ because an operator is part of the authoring model (what a DAG file may
// write, checked at parse time), and because its module is a guest program like those tasks/sdk
// serves: the sources of each module are the package main beside this one (script/ for
// `operator: script`, http/ for http and http_sensor, sql/ for sql and sql_sensor: a sensor
// runs its operator's module, which tells them apart by the input's operator name), built with
// GOOS=wasip1 GOARCH=wasm. The built modules are 5 to 21 MB each, too big to commit, so `make operators` (a step of `make build` and of the test targets) writes them
// into modules/, which go:embed reads; a committed README keeps the folder there, so a plain
// `go build` compiles and an operator task then fails its try saying to run `make build`.
// Tests build the modules themselves (operatorstest).
//
// It imports the standard library only: tasks imports it for the field tables.
package operators
