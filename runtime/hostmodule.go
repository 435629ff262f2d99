package runtime

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// HostModuleName is the import module name of the wasmflow host functions.
//
// The ABI, for any guest language (all parameters and results are i32; a string or byte slice
// is a pointer and a length into the module's memory):
//
//	xcom_push(key_ptr, key_len, val_ptr, val_len) -> i32
//	    Stores the XCom `key` of this try, exactly as if the module had written the file
//	    /xcom/<key> (a later write of that file replaces it, and the other way round).
//	    Returns 0, or XComPushBadKey (-1) for a key that is not a file name,
//	    XComPushTooBig (-2) for a value over the XCom size limit, XComPushFailed (-3) when the
//	    host could not store it.
//	xcom_pull(task_ptr, task_len, key_ptr, key_len, buf_ptr, buf_cap) -> i32
//	    Reads the XCom `key` of task `task` (this task when task_len is 0) in this DagRun.
//	    Returns n >= 0: the value is n bytes, copied to buf; -1: there is no such XCom;
//	    r <= -2: the value is -(r+1) bytes, more than buf_cap, nothing copied: call again with
//	    a buffer at least that big.
//	log(ptr, len)
//	    Writes the text to the try's log as one or more lines.
//	http_request, sql_query, sql_exec, secret_get (req_ptr, req_len, resp_len_ptr) -> i32
//	response_read(buf_ptr, buf_cap) -> i32
//	    Granted I/O, done by the host: see docs/hostcalls.md and HostCallOK.
//
// A pointer and length outside the module's memory trap the module.
const HostModuleName = "wasmflow"

// Results of xcom_push and xcom_pull, besides lengths.
const (
	XComPushOK     = 0
	XComPushBadKey = -1
	XComPushTooBig = -2
	XComPushFailed = -3
	XComPullAbsent = -1
)

const (
	hostFuncXComPush = "xcom_push"
	hostFuncXComPull = "xcom_pull"
	hostFuncLog      = "log"
)

// tryState is what the host functions need of the try that called them. It travels in the
// context, because the host module is instantiated once and shared by every try.
type tryState struct {
	taskID   string
	xcomDir  string
	maxXCom  int
	log      *tryLog
	xcomIn   func(taskID, key string) ([]byte, bool)
	hostLogs *streamWriter
	calls    *callState // granted I/O (hostcall.go)
	// xcomQuota is charged for what the try writes into /xcom, files and pushes alike.
	xcomQuota *writeQuota
	// quotaRefused: the write that just failed was refused by a quota (see noSpace).
	quotaRefused atomic.Bool
}

type tryStateKey struct{}

func withTryState(ctx context.Context, st *tryState) context.Context {
	return context.WithValue(ctx, tryStateKey{}, st)
}

func tryStateFrom(ctx context.Context) *tryState {
	var st *tryState
	switch v := ctx.Value(tryStateKey{}).(type) {
	case *tryState:
		st = v
	case *lateTry: // a pooled instance (pool.go): nil until a try takes it
		st = v.st.Load()
	}
	if st == nil {
		// Only a module instantiated outside Runner.Run, or a pooled one calling the host
		// before its try, could get here.
		panic(fmt.Errorf("%s: called outside a try", HostModuleName))
	}
	return st
}

// instantiateHostModule defines the wasmflow module in r, once.
func instantiateHostModule(ctx context.Context, r wazero.Runtime) error {
	i32 := api.ValueTypeI32
	b := r.NewHostModuleBuilder(HostModuleName).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(xcomPush), []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}).
		WithParameterNames("key_ptr", "key_len", "val_ptr", "val_len").Export(hostFuncXComPush).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(xcomPull), []api.ValueType{i32, i32, i32, i32, i32, i32}, []api.ValueType{i32}).
		WithParameterNames("task_ptr", "task_len", "key_ptr", "key_len", "buf_ptr", "buf_cap").Export(hostFuncXComPull).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(hostLog), []api.ValueType{i32, i32}, nil).
		WithParameterNames("ptr", "len").Export(hostFuncLog)
	b = exportHostCalls(b)
	_, err := b.Instantiate(ctx)
	if err != nil {
		return fmt.Errorf("instantiate host module %s: %w", HostModuleName, err)
	}
	return nil
}

// read returns a view of the module's memory, trapping the module when it is out of range.
func read(fn string, mod api.Module, ptr, n uint64) []byte {
	b, ok := mod.Memory().Read(uint32(ptr), uint32(n))
	if !ok {
		panic(fmt.Errorf("%s.%s: out of bounds memory access (offset %d, length %d)", HostModuleName, fn, uint32(ptr), uint32(n)))
	}
	return b
}

func xcomPush(ctx context.Context, mod api.Module, stack []uint64) {
	st := tryStateFrom(ctx)
	key := string(read(hostFuncXComPush, mod, stack[0], stack[1]))
	val := read(hostFuncXComPush, mod, stack[2], stack[3])
	stack[0] = api.EncodeI32(st.push(key, val))
}

func (st *tryState) push(key string, val []byte) int32 {
	if err := checkXComKey(key); err != nil {
		st.log.note("xcom_push: %v", err)
		return XComPushBadKey
	}
	if len(val) > st.maxXCom {
		st.log.note("xcom_push: %s", xcomTooBig(key, int64(len(val)), st.maxXCom))
		return XComPushTooBig
	}
	path := filepath.Join(st.xcomDir, key)
	cost := int64(len(val))
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		cost += InodeCost // a new key is a new file, as a module's own would be
	}
	if st.xcomQuota != nil && !st.xcomQuota.take(cost) {
		st.quotaRefused.Store(false) // no WASI call to report it: the result code does
		return XComPushFailed
	}
	if err := os.WriteFile(path, val, 0o644); err != nil {
		st.log.note("xcom_push %q: %v", key, err)
		return XComPushFailed
	}
	return XComPushOK
}

func xcomPull(ctx context.Context, mod api.Module, stack []uint64) {
	st := tryStateFrom(ctx)
	task := string(read(hostFuncXComPull, mod, stack[0], stack[1]))
	key := string(read(hostFuncXComPull, mod, stack[2], stack[3]))
	buf := read(hostFuncXComPull, mod, stack[4], stack[5])
	if task == "" {
		task = st.taskID
	}
	var val []byte
	ok := false
	if st.xcomIn != nil {
		val, ok = st.xcomIn(task, key)
	}
	switch {
	case !ok:
		stack[0] = api.EncodeI32(XComPullAbsent)
	case len(val) >= math.MaxInt32:
		panic(fmt.Errorf("%s.%s: xcom %s.%s is %d bytes, too big for the ABI", HostModuleName, hostFuncXComPull, task, key, len(val)))
	case len(val) > len(buf):
		stack[0] = api.EncodeI32(-int32(len(val)) - 1)
	default:
		stack[0] = api.EncodeI32(int32(copy(buf, val)))
	}
}

func hostLog(ctx context.Context, mod api.Module, stack []uint64) {
	st := tryStateFrom(ctx)
	msg := read(hostFuncLog, mod, stack[0], stack[1])
	_, _ = st.hostLogs.Write(msg)
	st.hostLogs.flush()
}
