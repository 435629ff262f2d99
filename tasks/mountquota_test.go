package tasks

import "testing"

// mount_quota sets what one try may write into the task's writable mounts; default_args carry
// it like any task key, and leaving it out leaves the configured default (0).
func TestMountQuota(t *testing.T) {
	src := `dag_id: quotas
start_date: 2024-01-01
default_args:
  mount_quota: 10MiB
tasks:
  - id: own
    module: ../modules/noop.wasm
    mount_quota: 2GiB
  - id: inherited
    module: ../modules/noop.wasm
`
	d, err := Parse("testdata/invalid/quotas.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if q := d.Task("own").MountQuota; q != 2<<30 {
		t.Errorf("own mount_quota %d, want 2 GiB", q)
	}
	if q := d.Task("inherited").MountQuota; q != 10<<20 {
		t.Errorf("mount_quota from default_args %d, want 10 MiB", q)
	}
	d, err = Parse("testdata/invalid/plain.yaml", []byte("dag_id: plain\nstart_date: 2024-01-01\ntasks:\n  - id: a\n    module: ../modules/noop.wasm\n"))
	if err != nil || d.Task("a").MountQuota != 0 {
		t.Fatalf("without mount_quota: %v, %d", err, d.Task("a").MountQuota)
	}
}
