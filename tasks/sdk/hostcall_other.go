//go:build !wasip1

package sdk

func hostCall(string, []byte) (int32, []byte) { return notWasmflow, nil }
