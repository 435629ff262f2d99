package metastore

import (
	"reflect"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// fillDistinct sets every exported field of the struct v points to, but those in keep, to a
// value no other field has and no default equals: a field the metastore forgets to write or
// read comes back different. A field of a type it does not know fails the test, so a new kind
// of field is added here, not skipped.
func fillDistinct(t *testing.T, v any, keep ...string) {
	t.Helper()
	rv := reflect.ValueOf(v).Elem()
	base := time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	for i := 0; i < rv.NumField(); i++ {
		f, field := rv.Field(i), rv.Type().Field(i)
		if !field.IsExported() || contains(keep, field.Name) {
			continue
		}
		n := i + 2
		switch p := f.Addr().Interface().(type) {
		case *string:
			*p = "v-" + field.Name
		case *int:
			*p = n
		case *int64:
			*p = int64(n)
		case *float64:
			*p = float64(n) + 0.5
		case *bool:
			*p = true
		case *time.Time:
			*p = base.Add(time.Duration(n) * time.Hour)
		case **time.Time:
			at := base.Add(time.Duration(n) * time.Minute)
			*p = &at
		case **int:
			*p = &n
		default:
			t.Fatalf("fillDistinct: field %s has type %s: give it a distinct value here", field.Name, field.Type)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestSaveRoundTripsEveryTaskInstanceField: Save writes, and ListTaskInstances reads back,
// every field of a task instance; a field added to scheduler.TaskInstance without its column
// (or with a column Save leaves out) fails here.
func TestSaveRoundTripsEveryTaskInstanceField(t *testing.T) {
	s := newStore(t)
	run := seedRun(t, s, "rt", "manual__rt", 1)
	tis, err := s.ListTaskInstances(t.Context(), "rt", run.RunID)
	if err != nil || len(tis) != 1 {
		t.Fatalf("seeded task instances: %v, %v", tis, err)
	}
	want := tis[0]
	fillDistinct(t, &want, "ID", "DagID", "RunID", "TaskID", "State")
	want.State = tasks.StateUpForRetry
	if err := s.Save(t.Context(), scheduler.Changes{TaskInstances: []scheduler.TaskInstance{want}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListTaskInstances(t.Context(), "rt", run.RunID)
	if err != nil || len(got) != 1 {
		t.Fatalf("task instances after Save: %v, %v", got, err)
	}
	compareFields(t, "TaskInstance", want, got[0])
}

// compareFields reports each field of got that differs from want, by name.
func compareFields(t *testing.T, kind string, want, got any) {
	t.Helper()
	w, g := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := 0; i < w.NumField(); i++ {
		name := w.Type().Field(i).Name
		wf, gf := w.Field(i).Interface(), g.Field(i).Interface()
		if wt, ok := wf.(*time.Time); ok && wt != nil {
			if gt, ok := gf.(*time.Time); !ok || gt == nil || !gt.Equal(*wt) {
				t.Errorf("%s.%s = %v after a round trip, want %v", kind, name, gf, *wt)
			}
			continue
		}
		if wt, ok := wf.(time.Time); ok {
			if !wt.Equal(gf.(time.Time)) {
				t.Errorf("%s.%s = %v after a round trip, want %v", kind, name, gf, wt)
			}
			continue
		}
		if !reflect.DeepEqual(wf, gf) {
			t.Errorf("%s.%s = %#v after a round trip, want %#v", kind, name, gf, wf)
		}
	}
}
