// Package runtime runs one try of a task's WebAssembly (WASI preview1) module under wazero: the
// compilation cache, the sandbox (mounts, /xcom, no host environment, no network), limits
// (execution timeout, memory), logs and XCom collection — the task contract of SPEC.md §4.
//
// It imports wazero, the standard library, the SQL drivers of granted I/O (glebarez's pure-Go
// sqlite, pgx) and of wasmflow only the types of package tasks (tasks.Connection): the caller
// (the scheduler's executor, a cluster worker, `wasmflow tasks test`) renders templates,
// resolves mounts and grants first, and maps a Result's State onto a TaskInstance state.
//
// # Using it
//
// One Runner per process (New, Close); Run any number of tries on it concurrently:
//
//	r, _ := runtime.New(ctx, runtime.Config{CacheDir: filepath.Join(home, "cache")})
//	res, err := r.Run(ctx, runtime.Try{Module: wasm, ModuleSHA256: digest, TaskID: "extract",
//		Args: args, Env: env, Mounts: mounts, MemoryLimit: 64 << 20, Timeout: 5 * time.Minute,
//		Log: logFile, XComIn: pull})
//
// err is only for the host's side (an invalid Try, a Log that cannot be written, a canceled
// ctx, a closed Runner); whatever the module does is in res: State ("success", "failed",
// "skipped", "sensor_not_met"), ExitCode, Reason ("timeout", "oom", "compile_error: ...",
// "trap: ...", "exit_code N", "xcom: ...", "memory_cap: ...", "canceled"), Duration, PeakMemoryPages, the module's
// sha256 and its XComs.
//
// CheckModule(ctx, wasm) tells, without running it, why a module cannot be a task (not core
// wasm, does not compile, no `_start`, an import the host does not provide): the check a try
// makes before it runs, for an upload to refuse the module at once.
//
// # How
//
//   - Compiling: once per module sha256, kept in memory (least recently used idle modules are
//     dropped past Config.MaxModules) and on disk (wazero's compilation cache in
//     Config.CacheDir, shared across processes). Each try instantiates the compiled module
//     under an anonymous name, so tries of one module run side by side. Passing
//     Try.ModuleSHA256 spares hashing the bytes on every try (≈1 ms for a 2 MB Go module).
//   - One wazero runtime for all tries, with WithCloseOnContextDone. The memory limit is per
//     try, enforced by an experimental.MemoryAllocator (memory.go) rather than by a runtime per
//     limit value: a module compiles once whatever its tries' limits, and the allocator knows
//     when it refused a grow, so "oom" is exact for any guest language, not guessed from the
//     exit code or the output.
//   - Memory cap: the memory limits of the tries running at once add up to at most
//     Config.MaxTaskMemory (half of the machine's memory by default). Run admits a try before
//     it compiles or instantiates anything, first come first served, calling Try.Waiting when
//     it must wait and Try.Admitted when it starts; a limit alone over the cap fails at once.
//   - Disk quotas: what a try writes into /xcom (Config.XComQuota) and into its writable
//     mounts together (Try.MountQuota, else Config.MountQuota) is counted as files grow, and
//     InodeCost for each file, directory or link it makes (quota.go); past a quota writes fail
//     with ENOSPC and the log says which quota.
//   - Tables: a module's tables hold at most MaxTableEntries together, on the host's heap
//     (tables.go): bigger initial sizes are refused when it compiles, and maxima lowered.
//   - Timeout: the try's context has the deadline; wazero closes the module at its next call
//     or loop iteration, and the module's nanosleep (poll_oneoff on a clock, e.g. Go's
//     time.Sleep) wakes at the deadline instead of sleeping on. stdin is a string, so reads
//     never block. Not interruptible: a host call that blocks (Try.XComIn, a read from a FIFO
//     inside a mount).
//   - Sandbox: argv is [TaskID, Args...]; the environment is Try.Env and nothing else; the
//     files are the mounts plus a fresh empty /xcom (ReadOnly mounts refuse writes with EROFS);
//     each folder is opened as an os.Root (rootfs.go), so a link the host put in it is followed
//     only while it stays inside (relative links within the folder work; absolute ones, and
//     any that leads out, are ENOENT for every operation, reads and writes alike); symlink
//     creation is refused everywhere (the host, where no root holds, would follow a guest's
//     link out of the mount); no sockets are preopened, so a module has no network (Go's
//     wasip1 net package is an in-process fake: it can listen and dial only itself).
//     Clocks are real; random_get reads crypto/rand.
//   - Log: stdout and stderr go to Try.Log as whole lines, as the module writes them, with no
//     prefix and interleaved in the order written (a line longer than 64 KiB is split). Lines
//     written by the runtime itself — why a try ended, truncation, XCom problems — start with
//     "[wasmflow] ". Past Config.MaxLogBytes a marker line says the log was truncated and the
//     rest is counted, not written.
//   - Scratch: each try's /xcom is a folder in the Runner's own wasmflow-runner-* folder in
//     Config.TempDir, locked (flock) while the Runner lives and removed by Close; New removes
//     the unlocked ones, left by processes that died (xcom.go).
//   - XComs: every regular file left in /xcom (key = file name), each at most
//     Config.MaxXComBytes (an XCom over it fails the try, naming the key, its size and the
//     limit). Without /xcom/return_value, a successful try's last non-empty stdout line is its
//     return_value.
//   - The host module "wasmflow" (xcom_push, xcom_pull, log; the ABI is documented at
//     HostModuleName) is instantiated once; its functions find their try through the context.
//     tasks/sdk wraps it for Go guests.
//   - Granted I/O (hostcall*.go, grants.go; docs/hostcalls.md): http_request, sql_query,
//     sql_exec and secret_get do what Try.Grants allow on the module's behalf — the host adds a
//     connection's credentials, re-checks every redirect and refuses loopback and private
//     addresses behind a name at dial time — within Config.Calls' limits, and record every
//     call, made or refused, in Result.Calls. HTTP and database connections are pooled for
//     one try and closed after it. Config.Network injects the resolver and dialer for tests.
//   - Warm pool (pool.go): for the modules of Config.Pooled (the script operator's), the Runner
//     keeps Config.PoolSize instances instantiated and started up to their first read of
//     stdin, from the module's first try on; a try takes one and binds its stdin, logs, host
//     calls, memory limit, deadline and /xcom to it, and the instance is closed after that one
//     try. Their memory counts in Config.MaxTaskMemory, and they give it back to a try that
//     would wait for it. Such a module sees argv ["pooled"] and no environment.
package runtime
