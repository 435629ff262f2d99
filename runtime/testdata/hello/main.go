// Command hello greets its arguments with fmt: a typical small Go task of about 2.6 MB, the
// size the compile-cache benchmark is specified for.
//
// Built by the tests (runtime/fixtures_test.go) into a temporary directory:
//
//	GOOS=wasip1 GOARCH=wasm go build -o hello.wasm ./runtime/testdata/hello
package main

import (
	"fmt"
	"os"
)

func main() {
	for _, a := range os.Args[1:] {
		fmt.Printf("hello, %s\n", a)
	}
}
