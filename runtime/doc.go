// Package runtime runs one try of a task's WebAssembly (WASI preview1) module under wazero:
// the compilation cache, the sandbox (mounts, /xcom, no host environment, no network), limits
// (execution timeout, memory), logs and XCom collection. It imports wazero and nothing of
// wasmflow but plain types.
package runtime
