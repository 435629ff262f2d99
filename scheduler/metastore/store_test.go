package metastore

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/wasmflow/wasmflow/internal/dbtest"
	"github.com/wasmflow/wasmflow/scheduler"
)

var update = flag.Bool("update", false, "rewrite the selected dialect's testdata/schema_v*.sql from the migrations")

// testURL is a fresh, empty database of the dialect the suite runs on (main_test.go).
func testURL(t *testing.T) string {
	t.Helper()
	return dbtest.URL(t)
}

// newStore opens a Store on a fresh database and closes it when the test ends.
func newStore(t *testing.T) *Store {
	t.Helper()
	return openStore(t, testURL(t))
}

// newSQLiteStore opens a Store on a fresh SQLite file, for tests of what only SQLite has.
func newSQLiteStore(t *testing.T) *Store {
	t.Helper()
	return openStore(t, filepath.Join(t.TempDir(), "wasmflow.db"))
}

func openStore(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestOpenURLs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tests := []struct {
		name    string
		url     string
		path    string // the file expected, relative to dir
		wantErr string
	}{
		{name: "plain path", url: filepath.Join(dir, "a.db"), path: "a.db"},
		{name: "relative path", url: "rel.db", path: "rel.db"},
		{name: "missing parent dirs", url: filepath.Join(dir, "x", "y", "z.db"), path: "x/y/z.db"},
		{name: "sqlite absolute", url: "sqlite://" + filepath.Join(dir, "abs.db"), path: "abs.db"},
		{name: "sqlite relative", url: "sqlite://sub/rel.db", path: "sub/rel.db"},
		// Port 1 refuses at once: the error names the database, never the password.
		{name: "postgres unreachable", url: "postgres://bob:s3cret@127.0.0.1:1/wf", wantErr: "open metastore postgres://bob@127.0.0.1:1/wf"},
		{name: "postgresql bad port", url: "postgresql://bob:s3cret@127.0.0.1:x/wf", wantErr: "database.url"},
		{name: "mysql", url: "mysql://root:s3cret@localhost/wf", wantErr: `"mysql" databases are not supported`},
		{name: "empty", url: "", wantErr: "empty database path"},
		{name: "memory", url: ":memory:", wantErr: "give a file path"},
		{name: "query string", url: "sqlite:///tmp/x.db?mode=ro", wantErr: "may not contain '?'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.Context(), tt.url)
			if tt.wantErr != "" {
				if err == nil {
					s.Close()
					t.Fatalf("Open(%q) succeeded, want error %q", tt.url, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Open(%q) = %v, want error containing %q", tt.url, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := os.Stat(filepath.Join(dir, tt.path)); err != nil {
				t.Fatalf("database file not created: %v", err)
			}
			if err := s.Check(t.Context()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPragmas(t *testing.T) {
	s := newSQLiteStore(t)
	for _, tt := range []struct {
		db     *gorm.DB
		pragma string
		want   string
	}{
		{s.db, "journal_mode", "wal"},
		{s.db, "foreign_keys", "1"},
		{s.db, "busy_timeout", "5000"},
		{s.db, "synchronous", "1"}, // NORMAL
		{s.db, "journal_size_limit", strconv.Itoa(walLimit)},
		{s.db, "query_only", "0"},
		{s.rdb, "query_only", "1"},
		{s.rdb, "busy_timeout", "5000"},
	} {
		var got string
		if err := tt.db.Raw("PRAGMA " + tt.pragma).Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
		}
	}
	// The readers really are read-only: a write through them is a bug in this package.
	if err := s.rdb.Exec("DELETE FROM variable").Error; err == nil {
		t.Error("a reader connection accepted a write")
	}
}

func TestCheckAndSchemaVersion(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != LatestSchemaVersion {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, LatestSchemaVersion)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Exec("INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'x', CURRENT_TIMESTAMP)",
		LatestSchemaVersion+1).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), "upgrade wasmflow") {
		t.Fatalf("Check on a newer schema = %v, want an error saying to upgrade wasmflow", err)
	}
}

func TestReset(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	seedRun(t, s, "reset_dag", "r1", 3)
	if err := s.SetVariable(ctx, scheduler.Variable{Key: "k", Value: "v"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPool(ctx, scheduler.Pool{Name: scheduler.DefaultPool, Slots: 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if dags, _ := s.ListDags(ctx, scheduler.DagFilter{}); len(dags) != 0 {
		t.Errorf("after Reset: %d dags, want 0", len(dags))
	}
	if _, err := s.GetVariable(ctx, "k"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("after Reset: GetVariable = %v, want ErrNotFound", err)
	}
	if p, err := s.GetPool(ctx, scheduler.DefaultPool); err != nil || p.Slots != 128 {
		t.Errorf("after Reset: default pool = %+v, %v; want it seeded again with 128 slots", p, err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Dialect() == SQLite { // Reset turns foreign keys off for its drops
		var fk string
		if err := s.db.Raw("PRAGMA foreign_keys").Scan(&fk).Error; err != nil || fk != "1" {
			t.Fatalf("after Reset: foreign_keys = %q, %v; want 1", fk, err)
		}
	}
	seedRun(t, s, "reset_dag", "r1", 3) // the schema works again
	// Foreign keys hold again: a run of a DAG that does not exist is refused.
	if _, err := s.CreateDagRun(ctx, scheduler.DagRun{DagID: "nope", RunID: "r"}, nil); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("after Reset: a run of a missing DAG = %v, want ErrNotFound", err)
	}
}

// TestConcurrentWriters drives 8 goroutines through two Stores on one file (a server and a
// CLI command, say), each doing 200 mixed writes, including a read-modify-write of a pool
// inside a transaction. Any "database is locked" fails the test; lost updates show in the
// final counts.
// TestSingleConnection: a Store for one command reads and writes through one connection,
// beside another process's Store on the same file, reads from many goroutines at once
// included, and closes it.
func TestSingleConnection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wasmflow.db")
	ctx := t.Context()
	server := newStoreAt(t, path)
	s, err := Open(ctx, path, SingleConnection())
	if err != nil {
		t.Fatal(err)
	}
	if err := server.SetVariable(ctx, scheduler.Variable{Key: "from_server", Value: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVariable(ctx, scheduler.Variable{Key: "from_cli", Value: "2"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 8 {
		wg.Go(func() {
			for _, k := range []string{"from_server", "from_cli"} {
				if _, err := s.GetVariable(ctx, k); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, err := server.GetVariable(ctx, "from_cli"); err != nil {
		t.Errorf("the server does not see the write of the single-connection store: %v", err)
	}
	sqlDB, err := s.rdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	if n := sqlDB.Stats().OpenConnections; s.rdb != s.db || n != 1 {
		t.Errorf("the single-connection store has %d connections for reads (shared with the writer: %v), want the writer's one", n, s.rdb == s.db)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// newStoreAt opens a Store on path and closes it when the test ends.
func newStoreAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConcurrentWriters(t *testing.T) {
	const goroutines, writes = 8, 200
	path := testURL(t)
	ctx := t.Context()
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	if err := stores[0].SetPool(ctx, scheduler.Pool{Name: "counter", Slots: 0}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*writes)
	for g := range goroutines {
		wg.Go(func() {
			s := stores[g%2]
			for i := range writes {
				var err error
				switch i % 4 {
				case 0:
					err = s.SyncDag(ctx, scheduler.Dag{DagID: fmt.Sprintf("dag_%d_%d", g, i), Fileloc: "/dags/x.yaml"},
						[]byte("source"), true)
				case 1:
					err = s.SetVariable(ctx, scheduler.Variable{Key: fmt.Sprintf("var_%d_%d", g, i), Value: "v"})
				case 2:
					err = s.AddAuditEvent(ctx, scheduler.AuditEvent{Event: "test.write", Owner: fmt.Sprint(g)})
				case 3:
					err = s.write(ctx, func(tx *gorm.DB) error {
						var p poolModel
						if err := tx.Where("pool = ?", "counter").Take(&p).Error; err != nil {
							return err
						}
						return tx.Model(&poolModel{}).Where("pool = ?", "counter").Update("slots", p.Slots+1).Error
					})
				}
				if err != nil {
					errs <- fmt.Errorf("goroutine %d write %d: %w", g, i, err)
				}
				if _, err := s.ListDags(ctx, scheduler.DagFilter{Limit: 5}); err != nil {
					errs <- fmt.Errorf("goroutine %d read %d: %w", g, i, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s := stores[1]
	const each = goroutines * writes / 4
	dags, err := s.ListDags(ctx, scheduler.DagFilter{})
	if err != nil || len(dags) != each {
		t.Errorf("dags = %d, %v; want %d", len(dags), err, each)
	}
	vars, err := s.ListVariables(ctx)
	if err != nil || len(vars) != each {
		t.Errorf("variables = %d, %v; want %d", len(vars), err, each)
	}
	events, err := s.ListAuditEvents(ctx, 0)
	if err != nil || len(events) != each {
		t.Errorf("audit events = %d, %v; want %d", len(events), err, each)
	}
	p, err := s.GetPool(ctx, "counter")
	if err != nil || p.Slots != each {
		t.Errorf("pool counter = %d, %v; want %d (lost updates)", p.Slots, err, each)
	}
}

func TestConcurrentOpens(t *testing.T) {
	path := testURL(t)
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		defer stores[i].Close()
	}
	s := stores[0]
	var versions []int
	if err := s.rdb.Raw("SELECT version FROM schema_version ORDER BY version").Scan(&versions).Error; err != nil {
		t.Fatal(err)
	}
	if len(versions) != LatestSchemaVersion {
		t.Errorf("schema_version rows = %v, want each version once", versions)
	}
	pools, err := s.ListPools(t.Context())
	if err != nil || len(pools) != 1 {
		t.Errorf("pools = %+v, %v; want default_pool seeded once", pools, err)
	}
}

// TestModelsMatchSchema catches a current model that gained a field without a migration.
func TestModelsMatchSchema(t *testing.T) {
	s := newStore(t)
	for _, m := range currentModels {
		stmt := &gorm.Statement{DB: s.db}
		if err := stmt.Parse(m); err != nil {
			t.Fatal(err)
		}
		if !s.db.Migrator().HasTable(stmt.Table) {
			t.Errorf("model %T: table %s does not exist", m, stmt.Table)
			continue
		}
		for _, col := range stmt.Schema.DBNames {
			if !s.db.Migrator().HasColumn(m, col) {
				t.Errorf("model %T: column %s.%s does not exist: add a migration", m, stmt.Table, col)
			}
		}
	}
}

// TestSchemaGolden pins the SQL the migrations produce. The migrations are frozen, but the
// SQL comes from GORM's migrator: a GORM upgrade that changes it shows here, not in a user's
// database. Run with -update after a deliberate new migration.
func TestSchemaGolden(t *testing.T) {
	for v := 1; v <= LatestSchemaVersion; v++ {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			db := openRawDB(t)
			if err := migrateTo(t.Context(), db, v); err != nil {
				t.Fatal(err)
			}
			got := dumpSchema(t, db)
			golden := filepath.Join("testdata", fmt.Sprintf("schema_v%d.sql", v))
			if db.Dialector.Name() == "postgres" {
				golden = filepath.Join("testdata", "postgres", fmt.Sprintf("schema_v%d.sql", v))
			}
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("schema at version %d differs from %s:\n%s", v, golden, got)
			}
		})
	}
}

// TestForeignKeys checks the cascade chain: deleting a DAG removes its code and runs, a
// run its task instances, a task instance its XComs, tries and reschedules.
func TestForeignKeys(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	type fk struct{ From, To, OnDelete string }
	var got []fk
	for _, table := range []string{"dag_code", "dag_run", "task_instance", "xcom", "task_instance_history", "task_reschedule"} {
		var rows []struct {
			Table, From, To string
			OnDelete        string `gorm:"column:on_delete"`
		}
		if err := s.rdb.Raw(s.sqlFor("SELECT * FROM pragma_foreign_key_list(?)", foreignKeysPostgres), table).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got = append(got, fk{table + "." + r.From, r.Table + "." + r.To, r.OnDelete})
		}
	}
	want := map[fk]bool{
		{"dag_code.dag_id", "dag.dag_id", "CASCADE"}:                              true,
		{"dag_run.dag_id", "dag.dag_id", "CASCADE"}:                               true,
		{"task_instance.dag_id", "dag_run.dag_id", "CASCADE"}:                     true,
		{"task_instance.run_id", "dag_run.run_id", "CASCADE"}:                     true,
		{"xcom.dag_id", "task_instance.dag_id", "CASCADE"}:                        true,
		{"xcom.run_id", "task_instance.run_id", "CASCADE"}:                        true,
		{"xcom.task_id", "task_instance.task_id", "CASCADE"}:                      true,
		{"task_instance_history.dag_id", "task_instance.dag_id", "CASCADE"}:       true,
		{"task_instance_history.run_id", "task_instance.run_id", "CASCADE"}:       true,
		{"task_instance_history.task_id", "task_instance.task_id", "CASCADE"}:     true,
		{"task_reschedule.dag_id", "task_instance.dag_id", "CASCADE"}:             true,
		{"task_reschedule.run_id", "task_instance.run_id", "CASCADE"}:             true,
		{"task_reschedule.task_id", "task_instance.task_id", "CASCADE"}:           true,
		{"xcom.map_index", "task_instance.map_index", "CASCADE"}:                  true,
		{"task_instance_history.map_index", "task_instance.map_index", "CASCADE"}: true,
		{"task_reschedule.map_index", "task_instance.map_index", "CASCADE"}:       true,
	}
	if len(got) != len(want) {
		t.Errorf("foreign keys = %v, want %d of them", got, len(want))
	}
	for _, f := range got {
		if !want[f] {
			t.Errorf("unexpected foreign key %+v", f)
		}
	}

	seedRun(t, s, "fk_dag", "r1", 2)
	if _, err := s.AddTaskTry(ctx, scheduler.TaskTry{MapIndex: -1, DagID: "fk_dag", RunID: "r1", TaskID: "t0", TryNumber: 1, State: "failed"}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Create(&xcomModel{MapIndex: -1, DagID: "fk_dag", RunID: "r1", TaskID: "t0", Key: "return_value", Value: []byte("1")}).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Create(&taskRescheduleModel{MapIndex: -1, DagID: "fk_dag", RunID: "r1", TaskID: "t1", TryNumber: 1}).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Exec("DELETE FROM dag WHERE dag_id = ?", "fk_dag").Error; err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"dag_code", "dag_run", "task_instance", "xcom", "task_instance_history", "task_reschedule"} {
		var n int64
		if err := s.rdb.Table(table).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows left after deleting their dag, want 0", table, n)
		}
	}
	// An XCom for a task instance that does not exist is refused.
	err := s.db.Create(&xcomModel{DagID: "nope", RunID: "r", TaskID: "t", Key: "k"}).Error
	if !errors.Is(err, gorm.ErrForeignKeyViolated) {
		t.Errorf("orphan xcom: %v, want a foreign key violation", err)
	}
}

func TestSQLLog(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	path := testURL(t)
	s, err := Open(t.Context(), path, WithSQLLog(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	})))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Dialect() == SQLite && s.Path() != path {
		t.Errorf("Path = %q, want %q", s.Path(), path)
	}
	if err := s.SetVariable(t.Context(), scheduler.Variable{Key: "k", Value: "v"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(buf.String(), s.sqlFor("INSERT INTO `variable`", `INSERT INTO "variable"`)) {
		t.Errorf("SQL log lacks the insert:\n%s", buf.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
