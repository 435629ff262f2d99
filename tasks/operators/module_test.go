package operators

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
	embedded = fstest.MapFS{"modules/script.wasm": {Data: []byte("\x00asm\x01\x00\x00\x00 pretend")},
		"modules/http.wasm": {Data: []byte("http")}}
	// sha256 of the bytes above: `printf '\0asm\1\0\0\0 pretend' | sha256sum`, `printf http | sha256sum`;
	// http.wasm once, though two operators (http, http_sensor) run it.
	want := []string{"e0603c499aae47eb89343ad0ef3178e044c62e70ae2309b35591d1d49a3211ec",
		"bcc186a281209baedeefa67f61d3b4e5d23b4431a91b5160234986fd13c9d637"}
	if d := PooledDigests(); !slices.Equal(d, want) {
		t.Errorf("PooledDigests = %q, want %q", d, want)
	}
}

// The digest `make operators` writes beside a module is the one used (no 20 MB hashed per
// process), and a module file of the wrong size in the cache (a copy cut short) is written again.
func TestModuleDigestFile(t *testing.T) {
	saved := embedded
	defer func() { embedded = saved; UseModuleDir("") }()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	wasm := []byte("\x00asm\x01\x00\x00\x00 pretend")
	recorded := strings.Repeat("ab", 32)
	embedded = fstest.MapFS{"modules/script.wasm": {Data: wasm},
		"modules/script.wasm.sha256": {Data: []byte(recorded + "  script.wasm\n")}}
	UseModuleDir("")
	if d := PooledDigests(); len(d) != 1 || d[0] != recorded {
		t.Errorf("PooledDigests = %q, want the recorded %s", d, recorded)
	}
	p, err := ModulePath("script")
	if err != nil || filepath.Base(p) != "script-"+recorded[:16]+".wasm" {
		t.Fatalf("ModulePath = %s, %v", p, err)
	}
	if err := os.WriteFile(p, wasm[:4], 0o600); err != nil {
		t.Fatal(err)
	}
	UseModuleDir("")
	if _, err := ModulePath("script"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, wasm) {
		t.Errorf("a cut-short module was kept: %q", got)
	}
}

// Every module this binary embeds has the sha256 of its bytes beside it (`make operators`
// writes both): a stale digest would name a module by bytes it does not have.
func TestEmbeddedDigestsMatch(t *testing.T) {
	mods, err := fs.Glob(embeddedFS, "modules/*.wasm")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		line, err := fs.ReadFile(embeddedFS, m+".sha256")
		if err != nil {
			t.Errorf("%s has no digest beside it: build with `make operators`", m)
			continue
		}
		wasm, err := fs.ReadFile(embeddedFS, m)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(wasm)
		if want := hex.EncodeToString(sum[:]); !strings.HasPrefix(string(line), want+" ") {
			t.Errorf("%s.sha256 = %q, the bytes hash to %s", m, line, want)
		}
	}
}
