package runtime

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A module that writes past its /xcom quota or its mount quota gets ENOSPC, the host file stays
// within the quota, and the log says which quota it hit.
func TestWriteQuotas(t *testing.T) {
	const quota = 256 << 10
	r := newRunner(t, Config{XComQuota: quota, MountQuota: 1 << 20})
	probe := goModule(t, "probe")
	rw := t.TempDir()
	// Content already there is not the try's: it does not count against the quota.
	if err := os.WriteFile(filepath.Join(rw, "old"), make([]byte, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, guest, host, quota string
		try                      Try
		limit                    int64
	}{
		{"xcom", "/xcom/big", "", "/xcom: this try wrote 256 KiB, its quota (room for 100 XComs of 48 KiB)", Try{}, quota},
		{"mount default", "/rw/big", filepath.Join(rw, "big"), "the writable mounts: this try wrote 1 MiB, its quota (core.mount_quota)", Try{}, 1 << 20},
		{"task's mount_quota", "/rw/small", filepath.Join(rw, "small"), "the writable mounts: this try wrote 100 KiB, its quota (the task's mount_quota)",
			Try{MountQuota: 100 << 10}, 100 << 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			try := c.try
			try.Module, try.Args = probe, []string{"fill", c.guest, strconv.Itoa(8 << 20)}
			try.Mounts = []Mount{{HostPath: rw, GuestPath: "/rw"}}
			res, log := run(t, r, try)
			want := "wrote " + strconv.FormatInt(c.limit, 10) + ", then: write " + c.guest + ": No space left on device (ENOSPC: true)"
			if res.State != StateFailed || !strings.Contains(log, want) {
				t.Fatalf("state %s, want failed with %q in the log:\n%s", res.State, want, log)
			}
			if !strings.Contains(log, "[wasmflow] "+c.quota+": further writes fail with ENOSPC") {
				t.Errorf("the log does not say which quota was hit (%q):\n%s", c.quota, log)
			}
			if c.host != "" {
				fi, err := os.Stat(c.host)
				if err != nil || fi.Size() > c.limit {
					t.Errorf("host file: %v, %d bytes, want at most %d", err, fi.Size(), c.limit)
				}
			} else if n := len(res.XComs["big"]); n != 0 {
				t.Errorf("an XCom over the size limit was collected: %d bytes", n)
			}
			// /xcom is removed after the try: the module reports its file's size, as the host's
			// fstat has it.
			if size := c.guest + " is " + strconv.FormatInt(c.limit, 10) + " bytes"; !strings.Contains(log, size) {
				t.Errorf("want %q in the log:\n%s", size, log)
			}
		})
	}

	// Within the quota nothing changes; the quota is per try, not per runner.
	for i := 0; i < 2; i++ {
		res, log := run(t, r, Try{Module: probe, Args: []string{"fill", "/rw/ok", strconv.Itoa(900 << 10)}, Mounts: []Mount{{HostPath: rw, GuestPath: "/rw"}}})
		if res.State != StateSuccess || !strings.Contains(log, "wrote 921600") {
			t.Fatalf("try %d within the quota: %s %s\n%s", i, res.State, res.Reason, log)
		}
	}
}

// Growing a file by truncate (or fd_allocate) is charged in full, all or nothing: a sparse
// file would not use the disk at once, but it can be filled in later through pwrite.
func TestTruncateQuota(t *testing.T) {
	r := newRunner(t, Config{MountQuota: 1 << 20})
	rw := t.TempDir()
	res, log := run(t, r, Try{Module: goModule(t, "probe"), Args: []string{"truncate", "/rw/sparse", strconv.Itoa(8 << 20)},
		Mounts: []Mount{{HostPath: rw, GuestPath: "/rw"}}})
	if res.State != StateSuccess || !strings.Contains(log, "truncate: truncate /rw/sparse: No space left on device (ENOSPC: true)") {
		t.Fatalf("%s %s, want ENOSPC:\n%s", res.State, res.Reason, log)
	}
	if fi, err := os.Stat(filepath.Join(rw, "sparse")); err != nil || fi.Size() != 0 {
		t.Fatalf("host file: %v, want it empty", err)
	}
}

// xcom_push counts against the /xcom quota too: a module cannot fill the disk by pushing many
// keys, each under the per-XCom limit.
func TestXComPushQuota(t *testing.T) {
	r := newRunner(t, Config{XComQuota: 100 << 10})
	probe := goModule(t, "probe")
	res, log := run(t, r, Try{Module: probe, Args: []string{"sdk-push-size", "a", strconv.Itoa(40 << 10)}})
	if res.State != StateSuccess || len(res.XComs["a"]) != 40<<10 {
		t.Fatalf("a push within the quota: %s %s\n%s", res.State, res.Reason, log)
	}
	res, log = run(t, r, Try{Module: probe, Args: []string{"sdk-push-size", "a", strconv.Itoa(48 << 10)}})
	if res.State != StateSuccess {
		t.Fatalf("%s %s\n%s", res.State, res.Reason, log)
	}
	small := newRunner(t, Config{XComQuota: 32 << 10})
	_, log = run(t, small, Try{Module: probe, Args: []string{"sdk-push-size", "a", strconv.Itoa(40 << 10)}})
	if !strings.Contains(log, `xcom push "a": the host could not store it`) || !strings.Contains(log, "[wasmflow] /xcom: this try wrote 32 KiB") {
		t.Fatalf("a push over the quota was not refused:\n%s", log)
	}
}
