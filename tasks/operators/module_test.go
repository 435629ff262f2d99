package operators

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// A binary built without `make operators` still runs, and says what to do.
func TestModulePathNotBuilt(t *testing.T) {
	saved := embedded
	defer func() { embedded = saved; UseModuleDir("") }()
	UseModuleDir("")
	embedded = fstest.MapFS{"modules/README.md": {Data: []byte("placeholder")}}
	_, err := ModulePath("script")
	if err == nil || !strings.Contains(err.Error(), "built without its operator modules: build it with `make build`") {
		t.Fatalf("ModulePath = %v", err)
	}
	if Built("script") {
		t.Error("Built(script) = true without its module")
	}
	if _, err := ModulePath("nope"); err == nil || !strings.Contains(err.Error(), `no built-in operator "nope" (there are: http, http_sensor, script, sql, sql_sensor)`) {
		t.Errorf("ModulePath(nope) = %v", err)
	}
}

// The embedded bytes are written once, content-addressed, owner-only, and found again.
func TestModulePathWritesEmbedded(t *testing.T) {
	saved := embedded
	defer func() { embedded = saved; UseModuleDir("") }()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	wasm := []byte("\x00asm\x01\x00\x00\x00 pretend")
	embedded = fstest.MapFS{"modules/script.wasm": {Data: wasm}}
	UseModuleDir("")
	p, err := ModulePath("script")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, wasm) || !strings.Contains(p, "script-") {
		t.Fatalf("%s: %q, %v", p, got, err)
	}
	st, err := os.Stat(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("the folder of %s is %v, want owner-only", p, st.Mode().Perm())
	}
	UseModuleDir("") // a new process: finds the file that is there
	if again, err := ModulePath("script"); err != nil || again != p {
		t.Errorf("again: %s, %v", again, err)
	}
}

// PooledDigests names the script module by the sha256 of its bytes, as the runtime's
// Digest does, and nothing in a binary built without the modules.
func TestPooledDigests(t *testing.T) {
	saved := embedded
	defer func() { embedded = saved; UseModuleDir("") }()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	UseModuleDir("")
	embedded = fstest.MapFS{"modules/README.md": {Data: []byte("placeholder")}}
	if d := PooledDigests(); d != nil {
		t.Errorf("PooledDigests without the modules = %q", d)
	}
	embedded = fstest.MapFS{"modules/script.wasm": {Data: []byte("\x00asm\x01\x00\x00\x00 pretend")}}
	// sha256 of the bytes above: `printf '\0asm\1\0\0\0 pretend' | sha256sum`
	want := "bcc186a281209baedeefa67f61d3b4e5d23b4431a91b5160234986fd13c9d637"
	if d := PooledDigests(); len(d) != 1 || d[0] != want {
		t.Errorf("PooledDigests = %q, want [%s]", d, want)
	}
}
