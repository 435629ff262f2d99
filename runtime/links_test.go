package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mountWithLinks makes, in a fresh folder, out/ (the host's files a task must not reach: a
// secret and a folder) and mnt/ (the folder mounted), whose owner put links in it: out of it
// (absolute and relative, to a file and to a folder, a chain, to its parent, to nothing yet)
// and inside it. It returns the two folders.
func mountWithLinks(t *testing.T) (out, mnt string) {
	t.Helper()
	base := t.TempDir()
	out, mnt = filepath.Join(base, "out"), filepath.Join(base, "mnt")
	for _, d := range []string{filepath.Join(out, "sub"), filepath.Join(mnt, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{
		filepath.Join(out, "secret.txt"):   "host secret\n",
		filepath.Join(mnt, "inside.txt"):   "inside\n",
		filepath.Join(mnt, "sub", "a.txt"): "a\n",
		filepath.Join(mnt, "victim.txt"):   "victim\n",
	} {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"abs-file": filepath.Join(out, "secret.txt"),
		"rel-file": "../out/secret.txt",
		"abs-dir":  out,
		"rel-dir":  "../out",
		"chain":    "chain2", // inside, then out through a folder and ..
		"chain2":   "sub/../../out/secret.txt",
		"parent":   "..",
		"dangling": "../out/new.txt",
		"onto":     "../out/secret.txt",
		"abs-in":   filepath.Join(mnt, "inside.txt"), // inside, but absolute
		"in-file":  "inside.txt",
		"in-dir":   "sub",
	} {
		if err := os.Symlink(target, filepath.Join(mnt, link)); err != nil {
			t.Fatal(err)
		}
	}
	return out, mnt
}

// TestMountLinks: a link the host put in a mounted folder does not lead out of it, for any
// operation, in a writable mount and in a read-only one: the guest sees ENOENT, and the host's
// files outside are neither read nor changed. The link itself can be listed, lstat-ed and
// replaced; links that stay inside (relative) work.
func TestMountLinks(t *testing.T) {
	out, mnt := mountWithLinks(t)
	secret := filepath.Join(out, "secret.txt")
	before, err := os.Stat(secret)
	if err != nil {
		t.Fatal(err)
	}
	denied := []string{
		"read:/rw/abs-file", "read:/rw/rel-file", "read:/rw/chain", "read:/rw/parent/out/secret.txt",
		"read:/rw/abs-dir/secret.txt", "read:/rw/rel-dir/secret.txt", "read:/ro/rel-file", "read:/ro/abs-dir/secret.txt",
		"read:/rw/abs-in",
		"stat:/rw/rel-file", "stat:/rw/abs-dir", "stat:/rw/parent", "stat:/ro/chain",
		"write:/rw/rel-file", "append:/rw/abs-file", "write:/rw/chain", "write:/rw/rel-dir/secret.txt",
		"create:/rw/dangling", "create:/rw/rel-dir/new.txt", "create:/rw/abs-dir/new.txt", "create:/rw/parent/out/new.txt",
		"readdir:/rw/rel-dir", "readdir:/rw/abs-dir", "readdir:/rw/parent", "readdir:/ro/rel-dir",
		"mkdir:/rw/rel-dir/made", "chmod:/rw/rel-file", "chtimes:/rw/rel-file", "remove:/rw/rel-dir/secret.txt",
		"rename:/rw/victim.txt:/rw/rel-dir/victim.txt", "rename:/rw/rel-dir/secret.txt:/rw/stolen.txt",
		"rename:/rw/victim.txt:/rw/parent/out/victim.txt", "link:/rw/rel-dir/secret.txt:/rw/stolen.txt",
	}
	allowed := []struct{ op, saw string }{
		{"lstat:/rw/rel-file", "link"},
		{"lstat:/rw/abs-dir", "link"},
		{"readlink:/rw/rel-file", "../out/secret.txt"},
		{"readdir:/rw", "abs-dir=link abs-file=link abs-in=link chain=link chain2=link dangling=link in-dir=link in-file=link " +
			"inside.txt=file onto=link parent=link rel-dir=link rel-file=link sub=dir victim.txt=file"},
		{"read:/rw/in-file", `"inside\n"`},
		{"read:/ro/in-file", `"inside\n"`},
		{"readdir:/rw/in-dir", "a.txt=file"},
		{"write:/rw/in-file", ""},
		{"append:/rw/in-file", ""},
		{"chtimes:/rw/in-file", ""},
		// Replacing a link replaces the link, not what it points to.
		{"rename:/rw/victim.txt:/rw/onto", ""},
		{"remove:/rw/abs-file", ""},
	}
	args := []string{"fs"}
	args = append(args, denied...)
	for _, a := range allowed {
		args = append(args, a.op)
	}
	res, log := run(t, testRunner(t), Try{Module: goModule(t, "probe"), Args: args,
		Mounts: []Mount{{HostPath: mnt, GuestPath: "/rw"}, {HostPath: mnt, GuestPath: "/ro", ReadOnly: true}}})
	if res.State != StateSuccess {
		t.Fatalf("result = %+v\nlog:\n%s", res, log)
	}
	lines := map[string]string{} // "read /rw/x" -> the rest of its line
	for _, l := range strings.Split(log, "\n") {
		if head, rest, ok := strings.Cut(l, ": "); ok {
			lines[head] = rest
		}
	}
	saw := func(verdict, op string) (string, bool) {
		op = strings.Replace(op, ":", " ", 1)
		op = strings.Replace(op, ":", " ", 1)
		rest, ok := lines[verdict+" "+op]
		return rest, ok
	}
	for _, op := range denied {
		if rest, ok := saw("DENIED", op); !ok {
			t.Errorf("%s was not denied", op)
		} else if !strings.HasSuffix(rest, "(ENOENT: true)") {
			t.Errorf("%s: %s, want ENOENT", op, rest)
		}
	}
	for _, a := range allowed {
		if rest, ok := saw("ALLOWED", a.op); !ok {
			t.Errorf("%s was denied", a.op)
		} else if !strings.HasPrefix(rest, a.saw) {
			t.Errorf("%s saw %q, want %q", a.op, rest, a.saw)
		}
	}
	if strings.Contains(log, "host secret") {
		t.Error("the guest read the host's secret")
	}
	// The host agrees: nothing outside was changed or made, and the mount's own files were.
	if b, err := os.ReadFile(secret); err != nil || string(b) != "host secret\n" {
		t.Errorf("out/secret.txt = %q, %v", b, err)
	}
	if after, err := os.Stat(secret); err != nil {
		t.Errorf("out/secret.txt: %v", err)
	} else if after.Mode() != before.Mode() || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("out/secret.txt mode or mtime changed: %v %v, was %v %v", after.Mode(), after.ModTime(), before.Mode(), before.ModTime())
	}
	if entries, err := os.ReadDir(out); err != nil || len(entries) != 2 {
		t.Errorf("out/ holds %v (%v), want secret.txt and sub only", entries, err)
	}
	if b, _ := os.ReadFile(filepath.Join(mnt, "inside.txt")); string(b) != "written by the guestwritten by the guest" {
		t.Errorf("mnt/inside.txt = %q: a write and an append through the link inside did not reach it", b)
	}
	if fi, err := os.Stat(filepath.Join(mnt, "inside.txt")); err != nil {
		t.Error(err)
	} else if fi.ModTime().Unix() != 1 {
		t.Errorf("mnt/inside.txt mtime %v: chtimes through the link inside did not reach it", fi.ModTime())
	}
	if fi, err := os.Lstat(filepath.Join(mnt, "onto")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("mnt/onto is %v (%v), want the renamed file", fi, err)
	}
	if _, err := os.Lstat(filepath.Join(mnt, "abs-file")); !os.IsNotExist(err) {
		t.Errorf("mnt/abs-file: %v, want removed", err)
	}
	if t.Failed() {
		t.Logf("log:\n%s", log)
	}
}

// TestMountOpenedWithin: a mount whose host folder the caller checked to be inside an allowed
// folder (Mount.Within) is opened through that folder, so one of its folders replaced by a
// link out after the check fails the try's start instead of mounting what the link points at.
func TestMountOpenedWithin(t *testing.T) {
	within, outside := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("host secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(within, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(within, "real", "in.txt"), []byte("inside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// "data" was a folder when the caller checked it; it is a link out now.
	if err := os.Symlink(outside, filepath.Join(within, "data")); err != nil {
		t.Fatal(err)
	}
	r := testRunner(t)
	var log strings.Builder
	_, err := r.Run(t.Context(), Try{TaskID: "t", Module: goModule(t, "probe"), Args: []string{"fs", "read:/d/secret.txt"}, Log: &log,
		Mounts: []Mount{{HostPath: filepath.Join(within, "data"), GuestPath: "/d", Within: within}}})
	if err == nil || !strings.Contains(err.Error(), "leads out of "+within) {
		t.Errorf("Run = %v, want the mount refused as leading out of %s", err, within)
	}
	if strings.Contains(log.String(), "host secret") {
		t.Error("the guest read the host's secret")
	}
	res, out := run(t, r, Try{Module: goModule(t, "probe"), Args: []string{"fs", "read:/d/in.txt"},
		Mounts: []Mount{{HostPath: filepath.Join(within, "real"), GuestPath: "/d", Within: within, ReadOnly: true}}})
	if res.State != StateSuccess || !strings.Contains(out, `ALLOWED read /d/in.txt: "inside\n"`) {
		t.Errorf("a mount inside: %+v\n%s", res, out)
	}
}
