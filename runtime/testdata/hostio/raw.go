package main

import (
	"fmt"
	"unsafe"
)

// The raw ABI, as a C module sees it (docs/hostcalls.md), without the SDK.

//go:wasmimport wasmflow http_request
//go:noescape
func rawHTTPRequest(req unsafe.Pointer, reqLen uint32, respLen unsafe.Pointer) int32

//go:wasmimport wasmflow sql_query
//go:noescape
func rawSQLQuery(req unsafe.Pointer, reqLen uint32, respLen unsafe.Pointer) int32

//go:wasmimport wasmflow response_read
//go:noescape
func rawResponseRead(buf unsafe.Pointer, bufCap uint32) int32

// raw calls fn with the request and prints what each step of reading the response returns:
// a 1-byte buffer first (too small unless the response is that short), then one that fits,
// then again (nothing waits any more).
func raw(fn, req string) {
	f := rawHTTPRequest
	if fn == "sql_query" {
		f = rawSQLQuery
	}
	b := []byte(req)
	var n uint32
	code := f(unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)), unsafe.Pointer(&n))
	small := make([]byte, 1)
	r1 := rawResponseRead(unsafe.Pointer(unsafe.SliceData(small)), 1)
	buf := make([]byte, n)
	r2 := rawResponseRead(unsafe.Pointer(unsafe.SliceData(buf)), n)
	r3 := rawResponseRead(unsafe.Pointer(unsafe.SliceData(buf)), n)
	fmt.Printf("code=%d len=%d small=%d read=%d again=%d response=%s\n", code, n, r1, r2, r3, buf)
}
