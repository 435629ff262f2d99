package metastore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
)

func dag(id, fileloc string, tags ...string) scheduler.Dag {
	return scheduler.Dag{
		DagID: id, Description: "about " + id, Fileloc: fileloc, Schedule: "@daily", Timezone: "UTC",
		Tags: tags, Owners: "data", Catchup: true, MaxActiveRuns: 16, MaxActiveTasks: 8,
	}
}

func TestSyncDag(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name           string
		pausedOnCreate bool
		unpause        bool // the user unpauses between the two syncs
		wantPaused     bool
	}{
		{name: "new dag paused on create", pausedOnCreate: true, wantPaused: true},
		{name: "new dag active on create", pausedOnCreate: false, wantPaused: false},
		{name: "unpaused dag stays unpaused on resync", pausedOnCreate: true, unpause: true, wantPaused: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			d := dag("etl", "/dags/etl.yaml", "b", "a")
			parsed := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.FixedZone("CET", 3600))
			d.LastParsedTime = parsed
			if err := s.SyncDag(ctx, d, []byte("v1"), tt.pausedOnCreate); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetDag(ctx, "etl")
			if err != nil {
				t.Fatal(err)
			}
			want := d
			want.IsPaused, want.IsActive = tt.pausedOnCreate, true
			sum := sha256.Sum256([]byte("v1"))
			want.SourceHash = hex.EncodeToString(sum[:])
			if !got.LastParsedTime.Equal(parsed) {
				t.Errorf("LastParsedTime = %v, want %v", got.LastParsedTime, parsed)
			}
			got.LastParsedTime, want.LastParsedTime = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("GetDag =\n%+v\nwant\n%+v", got, want)
			}

			if tt.unpause {
				if err := s.SetPaused(ctx, "etl", false); err != nil {
					t.Fatal(err)
				}
			}
			next := time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)
			if err := s.SetNextDagrun(ctx, scheduler.Dag{DagID: "etl", NextDagrun: &next}); err != nil {
				t.Fatal(err)
			}
			d.Description = "changed"
			d.Tags = nil
			d.LastParsedTime = time.Time{}
			if err := s.SyncDag(ctx, d, []byte("v2"), !tt.pausedOnCreate); err != nil {
				t.Fatal(err)
			}
			got, err = s.GetDag(ctx, "etl")
			if err != nil {
				t.Fatal(err)
			}
			if got.IsPaused != tt.wantPaused {
				t.Errorf("IsPaused after resync = %v, want %v", got.IsPaused, tt.wantPaused)
			}
			if got.Description != "changed" || len(got.Tags) != 0 || got.Tags == nil {
				t.Errorf("resync did not update the parsed fields: %+v", got)
			}
			if got.NextDagrun == nil || !got.NextDagrun.Equal(next) {
				t.Errorf("resync lost next_dagrun: %v", got.NextDagrun)
			}
			if time.Since(got.LastParsedTime) > time.Minute {
				t.Errorf("zero LastParsedTime should mean now, got %v", got.LastParsedTime)
			}
			src, err := s.DagSource(ctx, "etl")
			if err != nil || string(src) != "v2" {
				t.Errorf("DagSource = %q, %v; want v2", src, err)
			}
		})
	}
}

func TestSyncDagErrors(t *testing.T) {
	s := newStore(t)
	if err := s.SyncDag(t.Context(), scheduler.Dag{}, nil, true); err == nil {
		t.Error("SyncDag without dag_id succeeded")
	}
}

func TestDeactivateDags(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for _, d := range []scheduler.Dag{
		dag("a", "/dags/a.yaml"),
		dag("b", "/dags/sub/b.yaml"),
		dag("c", "/dags/c.yaml"),
		dag("other", "/dags2/other.yaml"), // same prefix, different folder
		dag("pct", "/dags/100%_x.yaml"),
	} {
		if err := s.SyncDag(ctx, d, []byte(d.DagID), false); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		folder     string
		keep       []string
		want       []string
		wantActive []string
	}{
		{name: "keep all", folder: "/dags", keep: []string{"a", "b", "c", "pct"}, want: nil,
			wantActive: []string{"a", "b", "c", "other", "pct"}},
		{name: "file of c removed", folder: "/dags/", keep: []string{"a", "b", "pct"}, want: []string{"c"},
			wantActive: []string{"a", "b", "other", "pct"}},
		{name: "already inactive is not reported", folder: "/dags", keep: []string{"a", "b", "pct"}, want: nil,
			wantActive: []string{"a", "b", "other", "pct"}},
		{name: "subfolder only", folder: "/dags/sub", keep: nil, want: []string{"b"},
			wantActive: []string{"a", "other", "pct"}},
		{name: "everything", folder: "", keep: []string{"pct"}, want: []string{"a", "other"},
			wantActive: []string{"pct"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.DeactivateDags(ctx, tt.folder, tt.keep)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("DeactivateDags = %v, want %v", got, tt.want)
			}
			if active := dagIDs(t, s, scheduler.DagFilter{OnlyActive: true}); !slices.Equal(active, tt.wantActive) {
				t.Errorf("active dags = %v, want %v", active, tt.wantActive)
			}
		})
	}
	// History stays, and a resync reactivates without touching the paused flag.
	if err := s.SetPaused(ctx, "c", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncDag(ctx, dag("c", "/dags/c.yaml"), []byte("c"), false); err != nil {
		t.Fatal(err)
	}
	c, err := s.GetDag(ctx, "c")
	if err != nil || !c.IsActive || !c.IsPaused {
		t.Errorf("reactivated dag = %+v, %v; want active and still paused", c, err)
	}
}

func TestDeactivateDagsRelativeFolder(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	dir := t.TempDir()
	t.Chdir(dir)
	if err := s.SyncDag(ctx, dag("rel", filepath.Join(dir, "dags", "rel.yaml")), nil, false); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeactivateDags(ctx, "dags", nil)
	if err != nil || !slices.Equal(got, []string{"rel"}) {
		t.Errorf("DeactivateDags(relative) = %v, %v; want [rel]", got, err)
	}
}

func dagIDs(t *testing.T, s *Store, f scheduler.DagFilter) []string {
	t.Helper()
	dags, err := s.ListDags(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range dags {
		ids = append(ids, d.DagID)
	}
	return ids
}

func TestListDags(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for _, d := range []struct {
		dag    scheduler.Dag
		paused bool
	}{
		{dag("etl_daily", "/d/1.yaml", "etl", "daily"), false},
		{dag("etl_hourly", "/d/2.yaml", "etl", "hourly"), true},
		{dag("report", "/d/3.yaml", "daily"), false},
		{dag("ml_train", "/d/4.yaml"), true},
		{dag("under_score", "/d/5.yaml"), false},
		{dag("gone", "/d/6.yaml", "etl"), false},
	} {
		if err := s.SyncDag(ctx, d.dag, nil, d.paused); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DeactivateDags(ctx, "/d", []string{"etl_daily", "etl_hourly", "report", "ml_train", "under_score"}); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	tests := []struct {
		name string
		f    scheduler.DagFilter
		want []string
	}{
		{"all", scheduler.DagFilter{}, []string{"etl_daily", "etl_hourly", "gone", "ml_train", "report", "under_score"}},
		{"substring", scheduler.DagFilter{DagIDPattern: "etl"}, []string{"etl_daily", "etl_hourly"}},
		{"substring ignores case", scheduler.DagFilter{DagIDPattern: "ETL_D"}, []string{"etl_daily"}},
		{"underscore is literal", scheduler.DagFilter{DagIDPattern: "r_s"}, []string{"under_score"}},
		{"percent is literal", scheduler.DagFilter{DagIDPattern: "%"}, nil},
		{"tags any of", scheduler.DagFilter{Tags: []string{"hourly", "daily"}}, []string{"etl_daily", "etl_hourly", "report"}},
		{"tag", scheduler.DagFilter{Tags: []string{"etl"}}, []string{"etl_daily", "etl_hourly", "gone"}},
		{"unknown tag", scheduler.DagFilter{Tags: []string{"nope"}}, nil},
		{"paused", scheduler.DagFilter{Paused: &yes}, []string{"etl_hourly", "ml_train"}},
		{"unpaused", scheduler.DagFilter{Paused: &no}, []string{"etl_daily", "gone", "report", "under_score"}},
		{"only active", scheduler.DagFilter{OnlyActive: true}, []string{"etl_daily", "etl_hourly", "ml_train", "report", "under_score"}},
		{"combined", scheduler.DagFilter{Tags: []string{"etl"}, OnlyActive: true, Paused: &no}, []string{"etl_daily"}},
		{"limit", scheduler.DagFilter{Limit: 2}, []string{"etl_daily", "etl_hourly"}},
		{"limit offset", scheduler.DagFilter{Limit: 2, Offset: 2}, []string{"gone", "ml_train"}},
		{"offset only", scheduler.DagFilter{Offset: 4}, []string{"report", "under_score"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dagIDs(t, s, tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("ListDags(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
}

func TestDagNotFound(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	tests := []struct {
		name string
		call func() error
	}{
		{"GetDag", func() error { _, err := s.GetDag(ctx, "nope"); return err }},
		{"SetPaused", func() error { return s.SetPaused(ctx, "nope", true) }},
		{"SetNextDagrun", func() error { return s.SetNextDagrun(ctx, scheduler.Dag{DagID: "nope"}) }},
		{"DagSource", func() error { _, err := s.DagSource(ctx, "nope"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, scheduler.ErrNotFound) {
				t.Errorf("%s = %v, want ErrNotFound", tt.name, err)
			}
		})
	}
}

func TestSetPaused(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if err := s.SyncDag(ctx, dag("p", "/d/p.yaml"), nil, false); err != nil {
		t.Fatal(err)
	}
	for _, paused := range []bool{true, true, false} { // setting the same value twice is fine
		if err := s.SetPaused(ctx, "p", paused); err != nil {
			t.Fatal(err)
		}
		if d, err := s.GetDag(ctx, "p"); err != nil || d.IsPaused != paused {
			t.Errorf("IsPaused = %v, %v; want %v", d.IsPaused, err, paused)
		}
	}
}

func TestImportErrors(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	steps := []struct {
		name  string
		do    func() error
		wants map[string]string // filename -> message
	}{
		{"set", func() error { return s.SetImportError(ctx, "/d/b.yaml", "b.yaml:1:1: bad") }, map[string]string{"/d/b.yaml": "b.yaml:1:1: bad"}},
		{"set another", func() error { return s.SetImportError(ctx, "/d/a.yaml", "a.yaml:2:3: worse") },
			map[string]string{"/d/a.yaml": "a.yaml:2:3: worse", "/d/b.yaml": "b.yaml:1:1: bad"}},
		{"replace", func() error { return s.SetImportError(ctx, "/d/b.yaml", "b.yaml:9:9: other\nb.yaml:10:1: more") },
			map[string]string{"/d/a.yaml": "a.yaml:2:3: worse", "/d/b.yaml": "b.yaml:9:9: other\nb.yaml:10:1: more"}},
		{"clear", func() error { return s.ClearImportError(ctx, "/d/a.yaml") }, map[string]string{"/d/b.yaml": "b.yaml:9:9: other\nb.yaml:10:1: more"}},
		{"clear absent", func() error { return s.ClearImportError(ctx, "/d/none.yaml") }, map[string]string{"/d/b.yaml": "b.yaml:9:9: other\nb.yaml:10:1: more"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			list, err := s.ListImportErrors(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, ie := range list {
				got[ie.Filename] = ie.Message
				if ie.ID == 0 || time.Since(ie.Timestamp) > time.Minute {
					t.Errorf("import error %+v: want an ID and a recent timestamp", ie)
				}
			}
			if !reflect.DeepEqual(got, st.wants) {
				t.Errorf("import errors = %v, want %v", got, st.wants)
			}
			if !slices.IsSortedFunc(list, func(a, b scheduler.ImportError) int { return strings.Compare(a.Filename, b.Filename) }) {
				t.Errorf("import errors not ordered by filename: %+v", list)
			}
		})
	}
}
