package tasks

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCallbacksParse(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "noop.wasm"), []byte("\x00asm"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `dag_id: cb
deadline: 2h
on_failure_callback:
  operator: http
  url: "http://127.0.0.1:9/run/{{ run_id }}/{{ state }}"
  allow_hosts: ["127.0.0.1:9"]
sla_miss_callback:
  module: noop.wasm
  env: {WHO: "{{ task_id }}"}
default_args:
  on_retry_callback:
    module: noop.wasm
    args: ["{{ try_number }}", "{{ reason }}"]
tasks:
  - id: a
    module: noop.wasm
    sla: 30m
    on_failure_callback:
      operator: http
      url: "http://127.0.0.1:9/{{ task_id }}"
      allow_hosts: ["127.0.0.1:9"]
  - id: b
    module: noop.wasm
    on_retry_callback: null
`
	d, err := Parse(filepath.Join(dir, "cb.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if d.Deadline != 2*time.Hour || d.SLAMissCallback == nil || d.OnFailureCallback == nil || d.OnSuccessCallback != nil {
		t.Fatalf("DAG deadline %v, callbacks %v %v %v", d.Deadline, d.OnSuccessCallback, d.OnFailureCallback, d.SLAMissCallback)
	}
	if got := d.OnFailureCallback; got.TaskID != "@run:on_failure_callback" || got.Operator == nil || got.Operator.Name != "http" ||
		got.Module != OperatorModulePrefix+"http" || len(got.Grants.AllowHosts) != 1 {
		t.Errorf("DAG on_failure_callback = %+v", got)
	}
	if got := d.SLAMissCallback; got.Module != filepath.Join(dir, "noop.wasm") || got.Env["WHO"] == nil {
		t.Errorf("sla_miss_callback = %+v", got)
	}
	a, b := d.Task("a"), d.Task("b")
	if a.SLA != 30*time.Minute || a.OnFailureCallback == nil || a.OnFailureCallback.TaskID != "a:on_failure_callback" {
		t.Errorf("task a: sla %v, on_failure_callback %+v", a.SLA, a.OnFailureCallback)
	}
	if a.OnRetryCallback == nil || a.OnRetryCallback.TaskID != "a:on_retry_callback" || len(a.OnRetryCallback.Args) != 2 {
		t.Errorf("task a inherits default_args' on_retry_callback: %+v", a.OnRetryCallback)
	}
	if b.OnRetryCallback != nil || b.SLA != 0 {
		t.Errorf("task b: on_retry_callback null turns the default off, got %+v", b.OnRetryCallback)
	}
	if got := d.CallbackTask("a:on_failure_callback"); got != a.OnFailureCallback {
		t.Errorf("CallbackTask(a:on_failure_callback) = %v", got)
	}
	if got := d.CallbackTask("@run:sla_miss_callback"); got != d.SLAMissCallback {
		t.Errorf("CallbackTask(@run:sla_miss_callback) = %v", got)
	}
	if d.CallbackTask("b:on_retry_callback") != nil || d.CallbackTask("a") != nil {
		t.Error("CallbackTask names a callback that is not set")
	}
}
