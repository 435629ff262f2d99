package tasks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestInvalidFiles parses every file in testdata/invalid. Each line that should carry a problem
// ends in one or more "# <- want: TEXT" comments; every want must be matched by a problem on
// that line, and every problem must stand on a line that wants it.
func TestInvalidFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(files) < 20 {
		t.Fatalf("found %d invalid fixtures, want every rejection of SPEC.md §2", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			wants := map[int][]string{}
			for i, line := range strings.Split(string(data), "\n") {
				parts := strings.Split(line, "# <- want: ")
				for _, w := range parts[1:] {
					wants[i+1] = append(wants[i+1], strings.TrimSpace(w))
				}
			}
			_, err = Parse(path, data)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v, want a *ValidationError", err)
			}
			matched := map[string]bool{}
			for _, p := range ve.Problems {
				ok := false
				for _, w := range wants[p.Line] {
					if strings.Contains(p.Message, w) {
						matched[fmt.Sprint(p.Line, w)], ok = true, true
					}
				}
				if !ok {
					t.Errorf("unexpected problem: %s", p)
				}
				if !strings.HasSuffix(p.File, path) {
					t.Errorf("problem names file %q, want %q", p.File, path)
				}
			}
			for line, ws := range wants {
				for _, w := range ws {
					if !matched[fmt.Sprint(line, w)] {
						t.Errorf("line %d: no problem containing %q; got:\n%v", line, w, err)
					}
				}
			}
		})
	}
}

func TestProblemColumns(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       string // file:line:col prefix of the first problem
	}{
		{"template expr column", "dag_id: x\ntasks:\n  - id: a\n    module: testdata/modules/noop.wasm\n    args: [\"{{ dss }}\"]\n", "x.yaml:5:16:"},
		{"quoted sensor error column", "dag_id: x\ntasks:\n  - id: s\n    sensor: 'ds ++ 1'\n", "x.yaml:4:17:"},
		{"unknown key column", "dag_id: x\ntasks:\n  - id: a\n    module: testdata/modules/noop.wasm\n    retriez: 1\n", "x.yaml:5:5:"},
		{"timetable value column", "dag_id: x\nschedule: '@daily'\ntimetable: every\nstart_date: 2024-01-01\ntasks:\n  - id: a\n    module: testdata/modules/noop.wasm\n", "x.yaml:3:12:"},
		{"interval key column", "dag_id: x\nschedule: '@daily'\ninterval: 1h\nstart_date: 2024-01-01\ntasks:\n  - id: a\n    module: testdata/modules/noop.wasm\n", "x.yaml:3:1:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(filepath.Join(".", "x.yaml"), []byte(c.yaml))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v", err)
			}
			if got := ve.Problems[0].String(); !strings.Contains(got, c.want) {
				t.Errorf("got %q, want it to contain %q", got, c.want)
			}
		})
	}
}

func TestFullFile(t *testing.T) {
	d, err := ParseFile("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seoul, _ := time.LoadLocation("Asia/Seoul")
	abs, _ := filepath.Abs("testdata/modules/noop.wasm")
	checks := []struct {
		name      string
		got, want any
	}{
		{"dag_id", d.DagID, "etl_daily"},
		{"description", d.Description, "Nightly ETL"},
		{"schedule kind", d.Schedule.Kind, ScheduleCron},
		{"schedule raw", d.Schedule.Raw, "0 6 * * 1-5"},
		{"start_date in the DAG's timezone", d.StartDate.Equal(time.Date(2022, 10, 22, 0, 0, 0, 0, seoul)), true},
		{"end_date RFC 3339", d.EndDate.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)), true},
		{"timezone", d.Timezone.String(), "Asia/Seoul"},
		{"catchup", d.Catchup, true},
		{"max_active_runs", d.MaxActiveRuns, 3},
		{"max_active_tasks", d.MaxActiveTasks, 8},
		{"dagrun_timeout", d.DagrunTimeout, 2 * time.Hour},
		{"is_paused_upon_creation", *d.IsPausedUponCreation, true},
		{"owner", d.Owner, "data-team"},
		{"tags", d.Tags, []string{"example", "etl"}},
		{"params", d.Params["threshold"], uint64(10)},
		{"tasks", len(d.Tasks), 8},
		{"source hash", len(d.SourceHash), 64},
	}
	ex := d.Task("extract")
	checks = append(checks, []struct {
		name      string
		got, want any
	}{
		{"module resolved", ex.Module, abs},
		{"kind", ex.Kind, KindModule},
		{"args", len(ex.Args), 3},
		{"env", len(ex.Env), 2},
		{"mounts", len(ex.Mounts), 2},
		{"mount ro", ex.Mounts[1].ReadOnly, true},
		{"mount guest", ex.Mounts[1].Guest, "/ref"},
		{"memory_limit", ex.MemoryLimit, int64(64 << 20)},
		{"execution_timeout", ex.ExecTimeout, 5 * time.Minute},
		{"retries own beats default", ex.Retries, 0},
		{"retry_delay", ex.RetryDelay, 5 * time.Minute},
		{"backoff", ex.RetryExponentialBackoff, true},
		{"max_retry_delay", ex.MaxRetryDelay, time.Hour},
		{"pool", ex.Pool, "etl_pool"},
		{"pool_slots", ex.PoolSlots, 2},
		{"priority_weight", ex.PriorityWeight, 5},
		{"weight_rule", ex.WeightRule, "absolute"},
		{"queue from default_args", ex.Queue, "etl"},
		{"downstream", ex.Downstream, []string{"wait_for_file"}},
		{"default retries", d.Task("transform").Retries, 2},
		{"default retry_delay", d.Task("transform").RetryDelay, 30 * time.Second},
		{"default trigger rule", d.Task("transform").TriggerRule, AllSuccess},
		{"trigger rule", d.Task("report").TriggerRule, NoneFailedMinOneSuccess},
		{"sensor kind", d.Task("wait_for_file").Kind, KindSensor},
		{"sensor settings", *d.Task("wait_for_file").Sensor, Sensor{Condition: d.Task("wait_for_file").Sensor.Condition, PokeInterval: 30 * time.Second, Timeout: time.Hour, Mode: "reschedule", SoftFail: true, ExponentialBackoff: true}},
		{"branch kind", d.Task("choose").Kind, KindBranch},
		{"run_if", d.Task("transform").RunIf != nil, true},
		{"module sensor", d.Task("module_sensor").IsSensor() && d.Task("module_sensor").Sensor.Condition == nil, true},
		{"module sensor default poke", d.Task("module_sensor").Sensor.PokeInterval, DefaultPokeInterval},
		{"module branch", d.Task("module_branch").IsBranch() && d.Task("module_branch").Branch == nil, true},
	}...)
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestTemplatesRender(t *testing.T) {
	d, err := ParseFile("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ld := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	env := NewEnv(d, "extract", "manual__1", 1, ld, ld, ld.Add(24*time.Hour), map[string]any{"threshold": 3})
	ex := d.Task("extract")
	var args []string
	for _, a := range ex.Args {
		s, err := a.Render(env)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, s)
	}
	if want := []string{"--date", "2024-03-01", "--run=manual__1"}; !reflect.DeepEqual(args, want) {
		t.Errorf("args = %q, want %q", args, want)
	}
	if s, _ := ex.Env["LIMIT"].Render(env); s != "3" {
		t.Errorf("conf must override params: LIMIT = %q, want 3", s)
	}
	env.FileExists = func(p string) bool { return p == "/data/2024-03-01.csv" }
	if ok, err := d.Task("wait_for_file").Sensor.Condition.EvalBool(env); err != nil || !ok {
		t.Errorf("sensor = %v, %v; want true", ok, err)
	}
	out, err := d.Task("choose").Branch.Eval(env)
	if err != nil || !reflect.DeepEqual(out, []any{"skip_note"}) {
		t.Errorf("branch = %v, %v; want [skip_note] (threshold 3 from conf)", out, err)
	}
	env.XCom = func(task string, key ...string) any { return "0" }
	if ok, _ := d.Task("transform").RunIf.EvalBool(env); ok {
		t.Errorf("run_if with xcom 0 = true, want false")
	}
}

func TestSchedules(t *testing.T) {
	cases := []struct {
		in   string
		kind ScheduleKind
		ok   bool
	}{
		{"", ScheduleNone, true}, {"@once", ScheduleOnce, true}, {"@hourly", ScheduleCron, true},
		{"@daily", ScheduleCron, true}, {"@weekly", ScheduleCron, true}, {"@monthly", ScheduleCron, true},
		{"@quarterly", ScheduleCron, true}, {"@yearly", ScheduleCron, true}, {"*/5 * * * *", ScheduleCron, true},
		{"0 6 * * MON-FRI", ScheduleCron, true}, {"@every 30m", ScheduleEvery, true},
		{"@every 1d12h", ScheduleEvery, true}, {"@continuous", ScheduleContinuous, true}, {"@every 0s", "", false}, {"@every", "", false},
		{"@fortnightly", "", false}, {"* * *", "", false}, {"61 * * * *", "", false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			s, err := ParseSchedule(c.in)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if c.ok && s.Kind != c.kind {
				t.Errorf("kind = %s, want %s", s.Kind, c.kind)
			}
		})
	}
}

// TestTimetable reads the DAG-level timetable and interval keys.
func TestTimetable(t *testing.T) {
	cases := []struct {
		name, keys string
		kind       TimetableKind
		interval   time.Duration
	}{
		{"default", "", TimetableDataInterval, 0},
		{"data_interval", "timetable: data_interval\n", TimetableDataInterval, 0},
		{"null", "timetable: null\n", TimetableDataInterval, 0},
		{"trigger", "timetable: trigger\n", TimetableTrigger, 0},
		{"trigger with interval", "timetable: trigger\ninterval: 4h\n", TimetableTrigger, 4 * time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			yaml := "dag_id: x\nschedule: '0 0 L * *'\nstart_date: 2024-01-01\n" + c.keys +
				"tasks:\n  - id: a\n    module: testdata/modules/noop.wasm\n"
			d, err := Parse(filepath.Join(".", "x.yaml"), []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			if d.Timetable != c.kind || d.TriggerInterval != c.interval {
				t.Errorf("timetable %q interval %v, want %q %v", d.Timetable, d.TriggerInterval, c.kind, c.interval)
			}
		})
	}
}

func TestUnits(t *testing.T) {
	durations := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true}, {"5m", 5 * time.Minute, true}, {"1h30m", 90 * time.Minute, true},
		{"1d", 24 * time.Hour, true}, {"2w", 14 * 24 * time.Hour, true}, {"1d12h", 36 * time.Hour, true},
		{"300", 300 * time.Second, true}, {"0.5", 500 * time.Millisecond, true},
		{"-1s", 0, false}, {"-5", 0, false}, {"soon", 0, false}, {"", 0, false}, {"5 minutes", 0, false},
	}
	for _, c := range durations {
		got, err := ParseDuration(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	sizes := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"64MiB", 64 << 20, true}, {"512KiB", 512 << 10, true}, {"1GiB", 1 << 30, true}, {"1gib", 1 << 30, true},
		{"10MB", 10_000_000, true}, {"65536", 65536, true}, {"2M", 2 << 20, true},
		{"-1MiB", 0, false}, {"lots", 0, false}, {"MiB", 0, false},
	}
	for _, c := range sizes {
		got, err := ParseSize(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseSize(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestIDLength(t *testing.T) {
	long := strings.Repeat("x", MaxIDLength+1)
	src := fmt.Sprintf("dag_id: %s\ntasks:\n  - id: %s\n    module: testdata/modules/noop.wasm\n", long, strings.Repeat("y", MaxIDLength))
	_, err := Parse("x.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "dag_id is 251 characters long; at most 250") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "task id") {
		t.Errorf("a 250-character task id is allowed: %v", err)
	}
}

// chain writes a DAG of n tasks where task i depends on task i-1 (and, with cycle, task 0 on
// the last one).
func chain(n int, cycle bool) []byte {
	var b strings.Builder
	b.WriteString("dag_id: chain\ntasks:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - id: t%d\n    module: testdata/modules/noop.wasm\n", i)
		switch {
		case i > 0:
			fmt.Fprintf(&b, "    upstream: [t%d]\n", i-1)
		case cycle:
			fmt.Fprintf(&b, "    upstream: [t%d]\n", n-1)
		}
	}
	return []byte(b.String())
}

func TestLongChain(t *testing.T) {
	d, err := Parse("chain.yaml", chain(10_000, false))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(d.Layers()); got != 10_000 {
		t.Errorf("layers = %d, want 10000", got)
	}
	if got := len(d.Descendants("t0")); got != 9_999 {
		t.Errorf("descendants of t0 = %d, want 9999", got)
	}
	_, err = Parse("chain.yaml", chain(10_000, true))
	if err == nil || !strings.Contains(err.Error(), "cycle: t0 -> t1 -> t2") || !strings.Contains(err.Error(), "t9999 -> t0") {
		t.Fatalf("10,000-task cycle: got %.300v", err)
	}
}

func TestGraph(t *testing.T) {
	d, err := ParseFile("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var layers [][]string
	for _, l := range d.Layers() {
		var ids []string
		for _, task := range l {
			ids = append(ids, task.TaskID)
		}
		layers = append(layers, ids)
	}
	want := [][]string{{"extract"}, {"wait_for_file"}, {"choose"}, {"transform", "skip_note", "module_sensor", "module_branch"}, {"report"}}
	if !reflect.DeepEqual(layers, want) {
		t.Errorf("layers = %v, want %v", layers, want)
	}
	if got := d.Ancestors("report"); len(got) != 7 {
		t.Errorf("ancestors of report = %v", got)
	}
	if roots, leaves := d.Roots(), d.Leaves(); len(roots) != 1 || roots[0].TaskID != "extract" || len(leaves) != 1 || leaves[0].TaskID != "report" {
		t.Errorf("roots %v leaves %v", roots, leaves)
	}
}

func TestAnchorsAndMerge(t *testing.T) {
	src := `dag_id: anchors
tasks:
  - &base
    id: a
    module: testdata/modules/noop.wasm
    retries: 4
  - <<: *base
    id: b
    upstream: [a]
`
	d, err := Parse("a.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if b := d.Task("b"); b == nil || b.Retries != 4 || b.Upstream[0] != "a" {
		t.Fatalf("merged task b = %+v", b)
	}
}

func TestStates(t *testing.T) {
	finished := 0
	for _, s := range TaskInstanceStates {
		if s.Finished() == s.Unfinished() {
			t.Errorf("%s is both or neither finished and unfinished", s)
		}
		if s.Finished() {
			finished++
		}
		if s.Color() == "" {
			t.Errorf("%s has no colour", s)
		}
	}
	if finished != 5 || len(TaskInstanceStates) != 13 {
		t.Errorf("finished = %d of %d, want Airflow's 5 of 13", finished, len(TaskInstanceStates))
	}
	if len(TriggerRules) != 11 || !TriggerRule("none_failed_min_one_success").Valid() || TriggerRule("x").Valid() {
		t.Error("trigger rules are not Airflow's eleven")
	}
}

var timeZero = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestFixedEdgeCases(t *testing.T) {
	t.Run("byte-order mark", func(t *testing.T) {
		src := "\xef\xbb\xbfdag_id: bom\ntasks:\n  - id: a\n    module: testdata/modules/noop.wasm\n"
		if d, err := Parse("bom.yaml", []byte(src)); err != nil || d.DagID != "bom" {
			t.Fatalf("BOM file: %v", err)
		}
	})
	t.Run("anchors inside params", func(t *testing.T) {
		src := "dag_id: p\nparams: {a: &a [1, 2], b: *a}\ntasks:\n  - id: t\n    module: testdata/modules/noop.wasm\n"
		d, err := Parse("p.yaml", []byte(src))
		if err != nil || !reflect.DeepEqual(d.Params["b"], []any{uint64(1), uint64(2)}) {
			t.Fatalf("params = %v, %v", d, err)
		}
	})
	t.Run("error inside a block scalar", func(t *testing.T) {
		src := "dag_id: blk\ntasks:\n  - id: s\n    sensor: |\n      ds != \"\" &&\n        file_exist(\"/x\")\n"
		_, err := Parse("blk.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), "blk.yaml:6:") {
			t.Fatalf("want the error on line 6 (the second line of the block): %v", err)
		}
	})
	t.Run("default_args error once for many tasks", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("dag_id: many\ndefault_args:\n  retry_delay: soon\ntasks:\n")
		for i := 0; i < 50; i++ {
			fmt.Fprintf(&b, "  - id: t%d\n    module: testdata/modules/noop.wasm\n", i)
		}
		_, err := Parse("many.yaml", []byte(b.String()))
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) != 1 {
			t.Fatalf("want exactly one problem, got %v", err)
		}
	})
	t.Run("owner and doc_md are kept", func(t *testing.T) {
		src := "dag_id: o\ndoc_md: hello\ndefault_args: {owner: ops}\ntasks:\n  - id: t\n    module: testdata/modules/noop.wasm\n    doc_md: task doc\n"
		d, err := Parse("o.yaml", []byte(src))
		if err != nil || d.DocMD != "hello" || d.Task("t").Owner != "ops" || d.Task("t").DocMD != "task doc" {
			t.Fatalf("got %+v, %v", d, err)
		}
	})
}
