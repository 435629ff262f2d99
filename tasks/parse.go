package tasks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // timezones resolve on machines without /usr/share/zoneinfo

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// reservedEnvPrefix is set by wasmflow on every try; tasks may not override it.
const reservedEnvPrefix = "WASMFLOW_"

var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// ParseOptions are the host's settings a DAG file is checked against.
type ParseOptions struct {
	// MountRoots are the folders mounts may lead into, and those they may not (see
	// MountRoots). No Allowed folder means the DAG file's own folder only.
	MountRoots MountRoots
	// ConnectionExists, if set, makes a grant of a conn_id for which it answers false an
	// import error at its line (the host's defined connections); nil checks only the form.
	ConnectionExists func(connID string) bool
}

// ParseFile reads and validates one DAG file, with the default options.
func ParseFile(path string) (*DAG, error) {
	return ParseFileWith(path, ParseOptions{})
}

// ParseFileWith reads and validates one DAG file.
func ParseFileWith(path string, opts ParseOptions) (*DAG, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read DAG file: %w", err)
	}
	defer f.Close()
	tooLarge := func(size int64) error {
		ps := &problems{file: absPath(path)}
		ps.checkSize(size)
		return ps.overBudget()
	}
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileBytes {
		return nil, tooLarge(st.Size())
	}
	// One byte past the cap tells a file that grew since, or is no regular file, from one
	// that fits, without reading it whole.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read DAG file: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, tooLarge(int64(len(data)))
	}
	return ParseWith(path, data, opts)
}

func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// Parse is ParseWith with the default options.
func Parse(path string, data []byte) (*DAG, error) {
	return ParseWith(path, data, ParseOptions{})
}

// ParseWith validates the DAG file at path whose bytes are data. Relative paths in it resolve
// against path's folder. On failure the error is a *ValidationError listing every problem.
func ParseWith(path string, data []byte, opts ParseOptions) (*DAG, error) {
	path = absPath(path)
	ps := &problems{file: path}
	sum := sha256.Sum256(data)
	dag := &DAG{Fileloc: path, Source: data, SourceHash: hex.EncodeToString(sum[:]), byID: map[string]*Task{}}
	dag.mountRoots = opts.MountRoots
	if dag.mountRoots.Empty() {
		dag.mountRoots.Allowed = []string{filepath.Dir(path)}
	}

	text := bytes.TrimPrefix(data, bom)
	file, err := parseWithinBudget(ps, text)
	if err != nil {
		return nil, err
	}
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		if len(file.Docs) > 1 {
			ps.add(Pos{Line: 1}, "a DAG file holds one DAG: found %d YAML documents (split them into files)", len(file.Docs))
		} else {
			ps.add(Pos{Line: 1}, "the file is empty: a DAG file needs at least dag_id and tasks")
		}
		return nil, ps.err()
	}
	w := &walker{ps: ps, aliases: file.aliases, lines: strings.Split(string(text), "\n")}
	p := &dagParser{w: w, ps: ps, dag: dag, dir: filepath.Dir(path)}
	p.opts = opts
	p.parse(file.Docs[0].Body)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return dag, nil
}

// bom is the byte-order mark Windows editors start files with; it is not part of the YAML.
var bom = []byte("\xef\xbb\xbf")

// budgetedFile is a parsed DAG file within the parser budgets, its aliases tied to their anchors.
type budgetedFile struct {
	*ast.File
	aliases map[*ast.AliasNode]ast.Node
}

// parseWithinBudget parses text, measured against the parser budgets (limits.go) before
// goccy's parser reads it (size, nesting) and before anything decodes it (aliases). A file
// over a budget answers a *ValidationError with OverBudget set; a syntax error, a problem at
// its line.
func parseWithinBudget(ps *problems, text []byte) (*budgetedFile, error) {
	if !ps.checkSize(int64(len(text))) {
		return nil, ps.overBudget()
	}
	tokens := lexer.Tokenize(string(text))
	// Measured past an invalid token too: the editor's sketch decodes the lines above a syntax
	// error, so a file must not pass as merely broken what would be refused as too deep.
	if !ps.checkDepth(tokens) {
		return nil, ps.overBudget()
	}
	file, err := parser.Parse(tokens, 0)
	if err != nil {
		ps.list = append(ps.list, syntaxProblem(ps.file, err))
		return nil, ps.err()
	}
	aliases := newAliasBudget(ps)
	for _, doc := range file.Docs {
		aliases.size(doc)
	}
	if aliases.over {
		return nil, ps.overBudget()
	}
	return &budgetedFile{File: file, aliases: aliases.targets}, nil
}

// CheckBudget measures a DAG file's bytes against the parser budgets (size, nesting, aliases)
// without building a DAG. Code that decodes DAG YAML some other way than ParseWith (the
// editor's sketch of a file that does not validate) calls it first, so no path hands goccy's
// decoder what the parser would refuse. It answers a *ValidationError with OverBudget set, or
// nil: a syntax error is ParseWith's to report.
func CheckBudget(data []byte) error {
	ps := &problems{}
	_, err := parseWithinBudget(ps, bytes.TrimPrefix(data, bom))
	if ve, ok := err.(*ValidationError); ok && ve.OverBudget {
		return err
	}
	return nil
}

// syntaxProblem turns a YAML syntax error into a Problem at its line.
func syntaxProblem(path string, err error) Problem {
	var se *yaml.SyntaxError
	if errors.As(err, &se) && se.Token != nil && se.Token.Position != nil {
		return Problem{File: path, Line: se.Token.Position.Line, Column: se.Token.Position.Column,
			Message: "YAML syntax: " + se.Message}
	}
	return Problem{File: path, Line: 1, Message: "YAML syntax: " + err.Error()}
}

type dagParser struct {
	w    *walker
	ps   *problems
	dag  *DAG
	dir  string
	opts ParseOptions

	defaults     map[string]field      // default_args, by task key
	taskPos      map[string]Pos        // first definition of each task id
	groupByLabel map[string]*TaskGroup // groups by the id written in the groups list
}

// truncate shortens s to its first n characters and an ellipsis, for quoting a long value.
func truncate(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}

// skipRange drops, from now on until the tasks are parsed, problems placed from one place to
// another (inclusive): default_args already reported there, not to be repeated once per task
// that inherits them.
func (p *dagParser) skipRange(from, to Pos) {
	prev := p.ps.skip
	p.ps.skip = func(pos Pos) bool {
		return (!pos.before(from) && !to.before(pos)) || (prev != nil && prev(pos))
	}
}

func (p *dagParser) atLeast(f field, min int) int {
	n, ok := p.w.integer(f)
	if ok && n < min {
		p.ps.add(posOf(f.value), "%s must be at least %d, got %d", f.key, min, n)
	}
	return n
}

func (p *dagParser) duration(f field) time.Duration {
	s, ok := p.w.scalar(f.value)
	if !ok {
		p.ps.add(posOf(f.value), "%s must be a duration like 30s, 5m, 2h or 1d", f.key)
		return 0
	}
	d, err := ParseDuration(s)
	if err != nil {
		p.ps.add(valuePos(f.value), "%s: %v", f.key, err)
	}
	return d
}

func (p *dagParser) checkID(n ast.Node, what, id string) {
	switch {
	case id == "":
		p.ps.add(posOf(n), "%s is empty", what)
	case len(id) > MaxIDLength:
		p.ps.add(valuePos(n), "%s is %d characters long; at most %d are allowed", what, len(id), MaxIDLength)
	case !idPattern.MatchString(id):
		p.ps.add(valuePos(n), "%s %q may only contain letters, digits, '_', '.' and '-'", what, id)
	}
}
