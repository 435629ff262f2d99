// Command wait_file is an example sensor module (a task with `sensor: true`): it exits 0 when
// the file named by its first argument exists in the task's mounts, else 100 ("not yet":
// wasmflow pokes it again after poke_interval).
//
//	wait_file /data/2022-10-22.csv
//
//	GOOS=wasip1 GOARCH=wasm go build -o wait_file.wasm ./examples/modules/wait_file
package main

import (
	"fmt"
	"os"

	"github.com/wasmflow/wasmflow/tasks/sdk"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wait_file PATH")
		os.Exit(1)
	}
	path := os.Args[1]
	if _, err := os.Stat(path); err != nil {
		fmt.Printf("%s is not there yet (%v)\n", path, err)
		sdk.NotYet()
	}
	fmt.Printf("%s found\n", path)
}
