package runtime

import (
	"fmt"
	"strings"
	"testing"
)

func TestXComs(t *testing.T) {
	r := newRunner(t, Config{MaxXComBytes: 1000})
	probe := goModule(t, "probe")
	for _, tc := range []struct {
		name   string
		args   []string
		state  State
		reason string
		xcoms  map[string]string
	}{
		{"files", []string{"xcom", "a=1", "b=two", "empty="}, StateSuccess, "",
			map[string]string{"a": "1", "b": "two", "empty": ""}},
		{"last non-empty stdout line", []string{"print", "first", "  the result  ", "", "   "}, StateSuccess, "",
			map[string]string{"return_value": "  the result"}},
		{"last line without newline", []string{"noeol", "partial"}, StateSuccess, "",
			map[string]string{"return_value": "partial"}},
		{"return_value file wins", []string{"xcom", "return_value=from file"}, StateSuccess, "",
			map[string]string{"return_value": "from file"}},
		{"no output", []string{"print"}, StateSuccess, "", map[string]string{}},
		{"failed: no return_value", []string{"exit", "1"}, StateFailed, "exit_code 1", map[string]string{}},
		{"file over the limit", []string{"xcom", "ok=1", "big=" + strings.Repeat("z", 1001)}, StateFailed,
			`xcom: "big" is 1001 bytes, over the limit of 1000 bytes`, map[string]string{"ok": "1"}},
		{"last line over the limit", []string{"printn", "1001"}, StateFailed,
			`xcom: "return_value" is 1001 bytes, over the limit of 1000 bytes (the last line of stdout; write /xcom/return_value to choose the value)`,
			map[string]string{}},
		{"last line at the limit", []string{"printn", "1000"}, StateSuccess, "",
			map[string]string{"return_value": strings.Repeat("x", 1000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, log := run(t, r, Try{Module: probe, Args: tc.args})
			if res.State != tc.state || res.Reason != tc.reason {
				t.Errorf("got %s %q, want %s %q\nlog:\n%s", res.State, res.Reason, tc.state, tc.reason, log)
			}
			got := map[string]string{}
			for k, v := range res.XComs {
				got[k] = string(v)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.xcoms) {
				t.Errorf("xcoms = %q, want %q", got, tc.xcoms)
			}
			if tc.reason != "" && !strings.Contains(log, "[wasmflow] ") {
				t.Errorf("log does not explain:\n%s", log)
			}
		})
	}
}

func TestXComHostFunctions(t *testing.T) {
	r := newRunner(t, Config{MaxXComBytes: 1000})
	probe := goModule(t, "probe")
	big := strings.Repeat("v", 10000) // bigger than the SDK's first buffer: the resize path
	in := func(task, key string) ([]byte, bool) {
		switch task + "." + key {
		case "extract.return_value":
			return []byte("42"), true
		case "extract.big":
			return []byte(big), true
		case "self.mine":
			return []byte("own"), true
		case "extract.empty":
			return []byte{}, true
		}
		return nil, false
	}
	for _, tc := range []struct {
		name   string
		args   []string
		want   string
		xcoms  map[string]string
		taskID string
	}{
		{"pull", []string{"sdk-pull", "extract", "return_value"}, `pulled ok=true len=2 value="42"`, nil, ""},
		{"pull big", []string{"sdk-pull", "extract", "big"}, fmt.Sprintf("pulled ok=true len=%d value=%q", len(big), big), nil, ""},
		{"pull empty", []string{"sdk-pull", "extract", "empty"}, `pulled ok=true len=0 value=""`, nil, ""},
		{"pull absent", []string{"sdk-pull", "extract", "nope"}, `pulled ok=false len=0 value=""`, nil, ""},
		{"pull own task", []string{"sdk-pull", "", "mine"}, `pulled ok=true len=3 value="own"`, nil, "self"},
		{"log", []string{"sdk-pull", "extract", "return_value"}, "via host log: pulled extract.return_value\n", nil, ""},
		{"push", []string{"sdk-push", "rows", "17"}, "pushed rows", map[string]string{"rows": "17", "return_value": "pushed rows"}, ""},
		{"push bad key", []string{"sdk-push", "a/b", "1"}, `push error: sdk: xcom push "a/b": the key is not a file name`, map[string]string{}, ""},
		{"push too big", []string{"sdk-push-size", "k", "1001"}, `push: sdk: xcom push "k": 1001 bytes is over the XCom size limit`, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, log := run(t, r, Try{Module: probe, Args: tc.args, XComIn: in, TaskID: cmp(tc.taskID, "task")})
			if !strings.Contains(log, tc.want) {
				t.Errorf("log lacks %q:\n%.2000s", tc.want, log)
			}
			if tc.xcoms != nil {
				got := map[string]string{}
				for k, v := range res.XComs {
					got[k] = string(v)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.xcoms) {
					t.Errorf("xcoms = %q, want %q", got, tc.xcoms)
				}
			}
		})
	}
	t.Run("C", func(t *testing.T) {
		res, log := run(t, r, Try{Module: cModule(t, "host_c", "host"), Args: []string{"extract"}, XComIn: in})
		if res.State != StateSuccess || string(res.XComs["from_c"]) != "C saw 2 bytes" || string(res.XComs[ReturnValueKey]) != "pulled 2 bytes: 42" {
			t.Errorf("result = %+v\nlog:\n%s", res, log)
		}
		for _, want := range []string{"pulled 2 bytes: 42\n", "hello from C through the host\n", `xcom_push: xcom key "bad/key" contains '/'`} {
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
		}
		res, log = run(t, r, Try{Module: cModule(t, "host_c", "host"), Args: []string{"big"}, XComIn: func(string, string) ([]byte, bool) { return []byte(big), true }})
		if res.State != StateSuccess || string(res.XComs["from_c"]) != "C saw 10000 bytes" {
			t.Errorf("C resize path: %+v\nlog:\n%.300s", res, log)
		}
	})
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
