package cluster

import (
	"context"
	"fmt"
	"io"

	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
)

// XComReader answers a module's wasmflow.xcom_pull for its own DagRun.
type XComReader func(taskID, key string) ([]byte, bool)

// localModules knows the sha256 of the module files this process ran.
var localModules = newModuleIndex()

// RunWorkload runs one try on this node: it loads the module, hands the runtime exactly what
// the workload grants, and returns the outcome. log receives the module's output live.
// An error means the try could not be attempted (the module file is unreadable); everything
// the module itself does is in the Result.
func RunWorkload(ctx context.Context, r *runtime.Runner, w scheduler.Workload, log io.Writer, xcom XComReader) (runtime.Result, error) {
	return runWorkload(ctx, r, w, log, xcom, nil)
}

// runWorkload is RunWorkload; adjust, if set, adds to the runtime's try (its admission
// callbacks).
func runWorkload(ctx context.Context, r *runtime.Runner, w scheduler.Workload, log io.Writer, xcom XComReader, adjust func(*runtime.Try)) (runtime.Result, error) {
	// Rendering checked the mounts already; checking again just before they are opened
	// narrows the time in which a link swapped in could lead out.
	w.Mounts = append([]scheduler.Mount(nil), w.Mounts...)
	if err := scheduler.PrepareMounts(w.MountRoots, w.Mounts); err != nil {
		return runtime.Result{}, err
	}
	module, sha, err := localModules.load(w.ModulePath)
	if err != nil {
		return runtime.Result{}, fmt.Errorf("read module of %s.%s: %w", w.DagID, w.TaskID, err)
	}
	t := Try(w, module, log, xcom)
	t.ModuleSHA256 = sha
	if adjust != nil {
		adjust(&t)
	}
	return r.Run(ctx, t)
}

// Try converts a workload into the runtime's try.
func Try(w scheduler.Workload, module []byte, log io.Writer, xcom XComReader) runtime.Try {
	mounts := make([]runtime.Mount, len(w.Mounts))
	for i, m := range w.Mounts {
		mounts[i] = runtime.Mount{HostPath: m.Host, GuestPath: m.Guest, ReadOnly: m.ReadOnly, Within: m.Within}
	}
	return runtime.Try{
		Module: module, TaskID: w.TaskID, Args: w.Args, Env: w.Env, Stdin: w.Stdin, Mounts: mounts,
		MemoryLimit: w.MemoryLimit, MountQuota: w.MountQuota, Timeout: w.Timeout, Log: log, XComIn: xcom,
		Grants: grantsOf(w),
	}
}
