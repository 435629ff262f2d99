//go:build wasip1

package sdk

import "unsafe"

// notWasmflow never comes from the host: its results are 0, -1, -2, -3 or lengths.
const notWasmflow = -1 << 31

//go:wasmimport wasmflow xcom_push
//go:noescape
func wasmXComPush(keyPtr unsafe.Pointer, keyLen uint32, valPtr unsafe.Pointer, valLen uint32) int32

//go:wasmimport wasmflow xcom_pull
//go:noescape
func wasmXComPull(taskPtr unsafe.Pointer, taskLen uint32, keyPtr unsafe.Pointer, keyLen uint32, bufPtr unsafe.Pointer, bufCap uint32) int32

//go:wasmimport wasmflow log
//go:noescape
func wasmLog(ptr unsafe.Pointer, n uint32)

func xcomPush(key string, value []byte) int32 {
	return wasmXComPush(unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)),
		unsafe.Pointer(unsafe.SliceData(value)), uint32(len(value)))
}

func xcomPull(taskID, key string, buf []byte) int32 {
	return wasmXComPull(unsafe.Pointer(unsafe.StringData(taskID)), uint32(len(taskID)),
		unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)),
		unsafe.Pointer(unsafe.SliceData(buf)), uint32(len(buf)))
}

func hostLog(msg string) {
	wasmLog(unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
}
