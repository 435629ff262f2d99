// Command noop does nothing: the smallest Go task.
//
//	GOOS=wasip1 GOARCH=wasm go build -o noop.wasm ./examples/modules/noop
package main

func main() {}
