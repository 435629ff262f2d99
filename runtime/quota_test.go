package runtime

import (
	"fmt"
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
			// The file itself costs InodeCost of the quota: the rest is its bytes.
			want := "wrote " + strconv.FormatInt(c.limit-InodeCost, 10) + ", then: write " + c.guest + ": No space left on device (ENOSPC: true)"
			if res.State != StateFailed || !strings.Contains(log, want) {
				t.Fatalf("state %s, want failed with %q in the log:\n%s", res.State, want, log)
			}
			if !strings.Contains(log, "[wasmflow] "+c.quota+": further writes fail with ENOSPC") {
				t.Errorf("the log does not say which quota was hit (%q):\n%s", c.quota, log)
			}
			if c.host != "" {
				fi, err := os.Stat(c.host)
				if err != nil || fi.Size() > c.limit-InodeCost {
					t.Errorf("host file: %v, %d bytes, want at most %d", err, fi.Size(), c.limit-InodeCost)
				}
			} else if n := len(res.XComs["big"]); n != 0 {
				t.Errorf("an XCom over the size limit was collected: %d bytes", n)
			}
			// /xcom is removed after the try: the module reports its file's size, as the host's
			// fstat has it.
			if size := c.guest + " is " + strconv.FormatInt(c.limit-InodeCost, 10) + " bytes"; !strings.Contains(log, size) {
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

// Making directories or empty files writes no byte, but each costs InodeCost of the quota: a
// loop of mkdirs (or of new files) in /xcom or in a writable mount stops with ENOSPC at
// quota/InodeCost, and the log says which quota it hit. Removing them gives nothing back.
func TestInodeQuotas(t *testing.T) {
	const quota = 256 << 10
	const most = quota / InodeCost
	r := newRunner(t, Config{XComQuota: quota, MountQuota: quota})
	probe := goModule(t, "probe")
	for _, c := range []struct {
		how, guest, quota string
	}{
		{"mkdirs", "/xcom", "/xcom: this try wrote 256 KiB, its quota (room for 100 XComs of 48 KiB)"},
		{"mkdirs", "/rw", "the writable mounts: this try wrote 256 KiB, its quota (core.mount_quota)"},
		{"touch", "/rw", "the writable mounts: this try wrote 256 KiB, its quota (core.mount_quota)"},
	} {
		t.Run(c.how+" "+c.guest, func(t *testing.T) {
			rw := t.TempDir()
			res, log := run(t, r, Try{Module: probe, Args: []string{c.how, c.guest, "1000"}, Mounts: []Mount{{HostPath: rw, GuestPath: "/rw"}}})
			want := fmt.Sprintf("made %d, then: ", most)
			if res.State != StateFailed || !strings.Contains(log, want) || !strings.Contains(log, "No space left on device (ENOSPC: true)") {
				t.Fatalf("%s %s, want ENOSPC after %d:\n%s", res.State, res.Reason, most, log)
			}
			if !strings.Contains(log, "[wasmflow] "+c.quota+": further writes fail with ENOSPC") ||
				!strings.Contains(log, "each file or directory it makes counts 4 KiB") {
				t.Errorf("the log does not say which quota was hit (%q):\n%s", c.quota, log)
			}
			if c.guest == "/rw" {
				if entries, err := os.ReadDir(rw); err != nil || len(entries) != most {
					t.Errorf("the mount holds %d entries (%v), want %d", len(entries), err, most)
				}
			}
		})
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
	// An empty value is no byte, but a new key is a new file: InodeCost each.
	res, log = run(t, newRunner(t, Config{XComQuota: 64 << 10}), Try{Module: probe, Args: []string{"sdk-push-many", "1000"}})
	if want := fmt.Sprintf("pushed %d, then: ", 64<<10/InodeCost); res.State != StateFailed || !strings.Contains(log, want) {
		t.Fatalf("pushes of empty values: %s %s, want %q:\n%s", res.State, res.Reason, want, log)
	}
	small := newRunner(t, Config{XComQuota: 32 << 10})
	_, log = run(t, small, Try{Module: probe, Args: []string{"sdk-push-size", "a", strconv.Itoa(40 << 10)}})
	if !strings.Contains(log, `xcom push "a": the host could not store it`) || !strings.Contains(log, "[wasmflow] /xcom: this try wrote 32 KiB") {
		t.Fatalf("a push over the quota was not refused:\n%s", log)
	}
}
