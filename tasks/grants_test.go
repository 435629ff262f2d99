package tasks

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

const grantsDAG = `dag_id: granted
default_args:
  connections: [shared_api]
tasks:
  - id: fetch
    module: testdata/modules/noop.wasm
    allow_hosts: ["api.example.com:443", "*.example.org", "10.0.0.5", "[::1]:8080"]
    secrets: [warehouse]
  - id: load
    module: testdata/modules/noop.wasm
    connections: [warehouse, gone_db]
  - id: plain
    module: testdata/modules/noop.wasm
    connections: []
`

// TestGrantsParse: grants from the task and from default_args land in Task.Grants; a task's own
// list replaces the default one (an empty list grants nothing).
func TestGrantsParse(t *testing.T) {
	d, err := ParseWith("dag.yaml", []byte(grantsDAG), ParseOptions{ConnectionExists: func(id string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Grants{
		"fetch": {Connections: []string{"shared_api"}, AllowHosts: []string{"api.example.com:443", "*.example.org", "10.0.0.5", "[::1]:8080"},
			Secrets: []string{"warehouse"}},
		"load":  {Connections: []string{"warehouse", "gone_db"}},
		"plain": {},
	}
	for id, g := range want {
		if got := d.Task(id).Grants; !reflect.DeepEqual(got, g) {
			t.Errorf("task %s: Grants = %+v, want %+v", id, got, g)
		}
	}
}

// TestGrantsUnknownConnection: a conn_id the lookup does not know is an import error at its
// line, in a task and in default_args (reported once there, not per task), naming the command
// that adds it.
func TestGrantsUnknownConnection(t *testing.T) {
	known := map[string]bool{"warehouse": true}
	_, err := ParseWith("dag.yaml", []byte(grantsDAG), ParseOptions{ConnectionExists: func(id string) bool { return known[id] }})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse = %v, want a *ValidationError", err)
	}
	type at struct {
		line int
		msg  string
	}
	want := []at{
		{3, `default_args: connections: connection "shared_api" does not exist: add it with ` + "`wasmflow connections add shared_api"},
		{11, `task "load": connections: connection "gone_db" does not exist`},
	}
	if len(ve.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ve.Problems), len(want), err)
	}
	for i, w := range want {
		p := ve.Problems[i]
		if p.Line != w.line || !strings.Contains(p.Message, w.msg) {
			t.Errorf("problem %d = line %d %q, want line %d containing %q", i, p.Line, p.Message, w.line, w.msg)
		}
	}
	// Without a lookup (e.g. a DAG's last good source parsed again) conn_ids are not checked.
	if _, err := Parse("dag.yaml", []byte(grantsDAG)); err != nil {
		t.Errorf("Parse without ConnectionExists = %v, want no error", err)
	}
}

func TestHostPatternMatches(t *testing.T) {
	cases := []struct {
		pattern string
		host    string
		port    int
		want    bool
	}{
		{"api.example.com", "api.example.com", 443, true},
		{"api.example.com", "API.Example.com.", 80, true},
		{"api.example.com", "evil.api.example.com", 443, false},
		{"api.example.com:443", "api.example.com", 8443, false},
		{"*.example.org", "a.b.example.org", 443, true},
		{"*.example.org", "example.org", 443, false},
		{"*.example.org", "badexample.org", 443, false},
		{"10.0.0.5", "10.0.0.5", 80, true},
		{"*.example.org", "10.0.0.5", 80, false},
		{"[::1]:8080", "::1", 8080, true},
	}
	for _, c := range cases {
		hp, err := ParseHostPattern(c.pattern)
		if err != nil {
			t.Fatalf("ParseHostPattern(%q): %v", c.pattern, err)
		}
		if got := hp.Matches(c.host, c.port); got != c.want {
			t.Errorf("%q matches %s:%d = %v, want %v", c.pattern, c.host, c.port, got, c.want)
		}
	}
}

// TestConnIDPatternIsTheRegexp: the hand check accepts exactly what ^[A-Za-z0-9_.-]{1,250}$ does.
func TestConnIDPatternIsTheRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_.-]{1,250}$`)
	cases := []string{"", "a", "my_api", "A.b-C_9", strings.Repeat("x", 250), strings.Repeat("x", 251),
		"has space", "slash/no", "é", "a\n", "a:b", "{{ x }}", "-", ".", "ÿ", "a\x00"}
	for c := 0; c < 256; c++ {
		cases = append(cases, "id"+string(rune(c)), string([]byte{byte(c)}))
	}
	for _, s := range cases {
		if got, want := ConnIDPattern.MatchString(s), re.MatchString(s); got != want {
			t.Errorf("ConnIDPattern.MatchString(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}
