// Package scaffold writes a new task module's files, ready to build: `wasmflow tasks init`.
// A Go module gets the wasmflow SDK vendored (it builds offline, with no replace directive);
// a C module gets wasmflow.h, the host functions' declarations.
package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/wasmflow/wasmflow/tasks/sdk"
)

// Langs are the languages a task module can be scaffolded in.
var Langs = []string{"go", "c"}

//go:embed templates
var templates embed.FS

// sdkImport is the SDK's import path, and the version the vendored copy is recorded under in
// go.mod and vendor/modules.txt (the go command checks they agree).
const (
	sdkImport  = "github.com/wasmflow/wasmflow/tasks/sdk"
	sdkVersion = "v0.1.0"
	goVersion  = "1.21" // the SDK needs go:wasmimport, new in Go 1.21
)

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Write creates dir (which must not exist, or be empty) holding a task module called name in
// lang, and returns the files it wrote, relative to dir and sorted.
func Write(dir, name, lang string) ([]string, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("task module name %q: use lower-case letters, digits and _, starting with a letter (e.g. load_orders); it names the module, its .wasm file and its folder", name)
	}
	files, err := render(name, lang)
	if err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s already exists and is not empty: choose another name or --dir, or remove it", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var written []string
	for rel, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			return nil, err
		}
		written = append(written, rel)
	}
	sort.Strings(written)
	return written, nil
}

// render makes the module's files in memory, by path relative to its folder.
func render(name, lang string) (map[string][]byte, error) {
	var main string
	switch lang {
	case "go":
		main = "main.go"
	case "c":
		main = name + ".c"
	default:
		return nil, fmt.Errorf("language %q: wasmflow tasks init writes %s modules (any language that builds for wasm32-wasi works; see the README's task modules section)", lang, strings.Join(Langs, " or "))
	}
	data := struct{ Name, GoVersion, SDKVersion string }{name, goVersion, sdkVersion}
	out := map[string][]byte{}
	root := path.Join("templates", lang)
	err := fs.WalkDir(templates, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		t, err := template.ParseFS(templates, p)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".tmpl")
		if rel == "main.go" || rel == "main.c" {
			rel = main
		}
		out[rel] = b.Bytes()
		return nil
	})
	if err != nil {
		return nil, err
	}
	out[".gitignore"] = []byte(name + ".wasm\n")
	if lang == "go" {
		if err := vendorSDK(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// vendorSDK adds the SDK's sources (not its tests) under vendor/, with the modules.txt that
// makes the go command build from them.
func vendorSDK(out map[string][]byte) error {
	entries, err := fs.ReadDir(sdk.Source, ".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, "_test.go") || n == "source.go" {
			continue
		}
		b, err := fs.ReadFile(sdk.Source, n)
		if err != nil {
			return err
		}
		out["vendor/"+sdkImport+"/"+n] = b
	}
	out["vendor/modules.txt"] = fmt.Appendf(nil, "# %s %s\n## explicit; go %s\n%s\n", sdkImport, sdkVersion, goVersion, sdkImport)
	return nil
}
