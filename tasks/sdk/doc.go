// Package sdk is the Go guest library for wasmflow tasks: a task is a Go program built with
// GOOS=wasip1 GOARCH=wasm, and this package gives it its context (the WASMFLOW_* environment)
// and XComs through the host module "wasmflow".
//
//	n, ok := sdk.XComPull("extract", sdk.ReturnValue)
//	sdk.XComPush("rows", []byte("42"))
//	sdk.Log("done for " + sdk.DS())
//
// Granted I/O (docs/hostcalls.md): HTTPClient is an *http.Client whose requests the host makes
// (to hosts in the task's allow_hosts, or through a granted connection by ConnURL, the host
// adding its credentials), Query and Exec run SQL on a granted sqlite or postgres connection,
// Secret reads a connection's secret under a `secrets:` grant.
//
// A task may as well use plain files: it can write /xcom/<key> instead of calling XComPush,
// and the last non-empty line it prints is its return_value unless it writes
// /xcom/return_value. Exit codes: 0 success, 99 skipped (sdk.Skip), 100 a sensor's condition
// not met yet (sdk.NotYet), anything else failed.
//
// The host functions exist only under wasmflow; built for any other platform (so that `go vet
// ./...` and editors work), XComPush and XComPull report ErrNotWasmflow and Log writes to stderr.
//
// It imports the standard library only.
package sdk
