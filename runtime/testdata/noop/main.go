// Command noop does nothing: the smallest Go task, for the per-try overhead benchmark.
//
// Built by the tests (runtime/fixtures_test.go) into a temporary directory:
//
//	GOOS=wasip1 GOARCH=wasm go build -o noop.wasm ./runtime/testdata/noop
package main

func main() {}
