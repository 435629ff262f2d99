//go:build wasip1

package sdk

import "unsafe"

//go:wasmimport wasmflow http_request
//go:noescape
func wasmHTTPRequest(reqPtr unsafe.Pointer, reqLen uint32, respLenPtr unsafe.Pointer) int32

//go:wasmimport wasmflow sql_query
//go:noescape
func wasmSQLQuery(reqPtr unsafe.Pointer, reqLen uint32, respLenPtr unsafe.Pointer) int32

//go:wasmimport wasmflow sql_exec
//go:noescape
func wasmSQLExec(reqPtr unsafe.Pointer, reqLen uint32, respLenPtr unsafe.Pointer) int32

//go:wasmimport wasmflow secret_get
//go:noescape
func wasmSecretGet(reqPtr unsafe.Pointer, reqLen uint32, respLenPtr unsafe.Pointer) int32

//go:wasmimport wasmflow response_read
//go:noescape
func wasmResponseRead(bufPtr unsafe.Pointer, bufCap uint32) int32

// hostFunc is the import of a granted-I/O host function: a switch, where a map's string
// hash costs a module more.
func hostFunc(name string) func(unsafe.Pointer, uint32, unsafe.Pointer) int32 {
	switch name {
	case "http_request":
		return wasmHTTPRequest
	case "sql_query":
		return wasmSQLQuery
	case "sql_exec":
		return wasmSQLExec
	case "secret_get":
		return wasmSecretGet
	}
	panic("sdk: no host function " + name)
}

// hostCall makes one granted-I/O call and reads its JSON response (docs/hostcalls.md).
func hostCall(name string, req []byte) (int32, []byte) {
	var n uint32
	code := hostFunc(name)(unsafe.Pointer(unsafe.SliceData(req)), uint32(len(req)), unsafe.Pointer(&n))
	resp := make([]byte, n)
	if n > 0 {
		if got := wasmResponseRead(unsafe.Pointer(unsafe.SliceData(resp)), n); got != int32(n) {
			return callFailed, []byte(`{"error":"response_read: the host's response is gone"}`)
		}
	}
	return code, resp
}
