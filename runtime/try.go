package runtime

import (
	"io"
	"time"
)

// Mount grants the module one host directory at a guest path.
type Mount struct {
	// HostPath is an existing host directory, already resolved by the caller.
	HostPath string
	// GuestPath is the absolute, clean path the module sees it at, e.g. "/data".
	// It may not be "/xcom" or below it.
	GuestPath string
	// ReadOnly makes every write through this mount fail with EROFS.
	ReadOnly bool
	// Within, if set, is the folder HostPath was checked to be inside (an allowed mount
	// folder). HostPath is then opened through it, element by element, so that a folder
	// swapped for a link out between the caller's check and the try cannot lead the mount out:
	// the try fails instead.
	Within string
}

// Try is one try of one task: everything the module will see, already rendered by the caller.
type Try struct {
	// Module is the .wasm binary (WASI preview1, with a `_start` export).
	Module []byte
	// ModuleSHA256 is the hex sha256 of Module (see Digest), if the caller already has it: it
	// records the digest of every try anyway. When set, the runner trusts it on an in-memory
	// cache hit and does not hash the bytes again, which would cost ~1 ms for a 2 MB Go module
	// (half a Go try's own time); on a miss it checks it against the bytes and refuses a
	// mismatch. It must be the digest of Module. Empty: the runner computes it.
	ModuleSHA256 string

	// TaskID is argv[0].
	TaskID string
	// Args is argv after argv[0].
	Args []string
	// Env is the guest's whole environment (the caller adds the WASMFLOW_* variables). Nothing of
	// the host's environment is passed.
	Env map[string]string
	// Stdin is everything the module reads from stdin; reads after it get EOF, never block.
	Stdin string
	// Mounts are the directories the module may see, besides its own empty, writable /xcom.
	Mounts []Mount

	// MemoryLimit caps the module's linear memory in bytes; 0 means Config.DefaultMemoryLimit.
	// It is rounded down to whole 64 KiB pages (at least one page) and capped at 4 GiB.
	MemoryLimit int64
	// MountQuota caps the bytes the try may write into its writable mounts, together (the
	// task's mount_quota); 0 means Config.MountQuota.
	MountQuota int64
	// Timeout is the task's execution_timeout, counted from the instantiation of the module
	// (compiling is not counted), or from when the try takes a warm instance (Config.Pooled);
	// 0 means none.
	Timeout time.Duration

	// Log receives the module's stdout and stderr, line by line as they are written, and the
	// runtime's own notes (lines starting with "[wasmflow] "). Nil discards the log. Writes come
	// from one goroutine at a time.
	Log io.Writer

	// XComIn serves the host function wasmflow.xcom_pull: the XCom `key` of task `taskID` in
	// this DagRun. It is called on the guest's goroutine and is not interrupted by Timeout, so it
	// should answer promptly. Nil: every pull finds nothing.
	XComIn func(taskID, key string) ([]byte, bool)

	// Waiting, if set, is called when the try must wait for memory before it starts
	// (Config.MaxTaskMemory), with why, for the task instance; Admitted when it got its memory
	// and starts (also when it never waited). Both are called on Run's goroutine.
	Waiting  func(reason string)
	Admitted func()

	// Grants are what the module may reach through the host's granted I/O (http_request,
	// sql_query, sql_exec, secret_get): the task's connections, allow_hosts and secrets,
	// resolved and decrypted by the caller. The zero value grants nothing.
	Grants Grants
}

// State is the outcome of a try, in Airflow's words where Airflow has one.
type State string

const (
	// StateSuccess: exit code 0.
	StateSuccess State = "success"
	// StateFailed: any other exit code, a trap, a timeout, out of memory, a module that does not
	// compile, an XCom over its limit. Result.Reason says which.
	StateFailed State = "failed"
	// StateSkipped: exit code 99 (Airflow's skip_on_exit_code default).
	StateSkipped State = "skipped"
	// StateSensorNotMet: exit code 100, a sensor module saying "not yet"; the scheduler pokes
	// again (up_for_reschedule or another poke).
	StateSensorNotMet State = "sensor_not_met"
)

// Exit codes with a meaning in the task contract (SPEC.md §4).
const (
	ExitSuccess      = 0
	ExitSkipped      = 99
	ExitSensorNotMet = 100
)

// Reasons a try failed, as Result.Reason holds them. Trap, compile and XCom reasons carry a
// message after their prefix; a plain non-zero exit is "exit_code N".
const (
	ReasonTimeout      = "timeout"
	ReasonOOM          = "oom"
	ReasonCanceled     = "canceled"
	ReasonCompileError = "compile_error"
	ReasonTrap         = "trap"
	ReasonXCom         = "xcom"
	ReasonExitCode     = "exit_code"
	// ReasonMemoryCap: the try's memory limit alone is over Config.MaxTaskMemory, so it could
	// never start.
	ReasonMemoryCap = "memory_cap"
)

// Result is the outcome of one try.
type Result struct {
	State State
	// ExitCode is the module's exit code; -1 when it did not exit by itself (trap, timeout,
	// compile error, cancellation).
	ExitCode int
	// Reason is empty for success, skipped and sensor_not_met, else one of: "timeout", "oom",
	// "canceled", "compile_error: <msg>", "trap: <msg>", "exit_code N",
	// "xcom: <key> is N bytes, over the limit of M bytes" (and other "xcom: ..." problems),
	// "memory_cap: memory_limit X is over core.max_task_memory Y: ...".
	Reason string
	// Duration is the wall time from instantiation (or taking a warm instance) to exit
	// (compiling is not included).
	Duration time.Duration
	// PeakMemoryPages is the largest size the module's memory reached, in 64 KiB pages.
	PeakMemoryPages uint32
	// MemoryLimitPages is the limit the try ran with, in 64 KiB pages.
	MemoryLimitPages uint32
	// ModuleSHA256 is the hex sha256 of the module's bytes.
	ModuleSHA256 string
	// Hostname is Config.Hostname, the machine that ran the try.
	Hostname string
	// XComs are the files the module left in /xcom (and what it pushed through
	// wasmflow.xcom_push), plus "return_value" from the last non-empty stdout line when the try
	// succeeded without writing one. Collected whatever the outcome, so a failed try's partial
	// XComs can be inspected; nil when the module never ran.
	XComs map[string][]byte
	// Calls are the module's granted-I/O calls in order, made or refused (see Call); nil when
	// it made none.
	Calls []Call
}
