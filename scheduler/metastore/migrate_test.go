package metastore

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// openRawDB opens a writer handle without migrating, on url (or a fresh database if none).
func openRawDB(t *testing.T, url ...string) *gorm.DB {
	t.Helper()
	u := testURL(t)
	if len(url) > 0 {
		u = url[0]
	}
	var db *gorm.DB
	if d, _ := DialectOf(u); d == PostgreSQL {
		s, err := openPostgres(t.Context(), u, options{noMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		db = s.db
	} else {
		p, err := sqlitePath(u)
		if err != nil {
			t.Fatal(err)
		}
		if db, err = openDB(p, "", options{}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = closeDB(db) })
	return db
}

// dumpSchema returns the SQL of every table and index, in a stable order.
func dumpSchema(t *testing.T, db *gorm.DB) string {
	t.Helper()
	if db.Dialector.Name() == "postgres" {
		return dumpSchemaPostgres(t, db)
	}
	var rows []struct{ Type, Name, SQL string }
	err := db.Raw("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite%' ORDER BY tbl_name, type DESC, name").
		Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "-- %s %s\n%s;\n\n", r.Type, r.Name, r.SQL)
	}
	return b.String()
}

func TestMigrationList(t *testing.T) {
	for i, m := range migrations {
		if m.version != i+1 {
			t.Errorf("migrations[%d] has version %d, want %d (no gaps, oldest first)", i, m.version, i+1)
		}
		if m.name == "" || m.up == nil {
			t.Errorf("migration %d needs a name and an up function", m.version)
		}
	}
	if last := migrations[len(migrations)-1].version; LatestSchemaVersion != last {
		t.Errorf("LatestSchemaVersion = %d, but the last migration is %d", LatestSchemaVersion, last)
	}
}

// TestMigrateFromV1 builds a database the way the release with schema v1 left it, fills it,
// and opens it with this build: the rows must survive and the v2 tables and columns work.
func TestMigrateFromV1(t *testing.T) {
	ctx := t.Context()
	path := testURL(t)
	db := openRawDB(t, path)
	if err := migrateTo(ctx, db, 1); err != nil {
		t.Fatal(err)
	}
	// Rows written as the v1 binary would have: plain SQL against the v1 tables.
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO dag (dag_id, fileloc, is_paused, is_active, tags, schedule, last_parsed_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
			[]any{"old_dag", "/dags/old.yaml", false, true, `["legacy"]`, "@daily", now}},
		{"INSERT INTO dag_code (dag_id, fileloc, source_hash, source, last_updated) VALUES (?, ?, ?, ?, ?)",
			[]any{"old_dag", "/dags/old.yaml", "abc", "dag_id: old_dag\n", now}},
		{"INSERT INTO dag_run (dag_id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end, conf, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			[]any{"old_dag", "scheduled__1", "scheduled", "success", now, now, now.Add(24 * time.Hour), `{"a":1}`, now, now}},
		{"INSERT INTO task_instance (dag_id, run_id, task_id, state, try_number, max_tries, exit_code, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			[]any{"old_dag", "scheduled__1", "extract", "success", 1, 2, 0, now}},
		{"INSERT INTO xcom (dag_id, run_id, task_id, key, value, timestamp) VALUES (?, ?, ?, ?, ?, ?)",
			[]any{"old_dag", "scheduled__1", "extract", "return_value", []byte(`42`), now}},
		{"INSERT INTO variable (key, val) VALUES (?, ?)", []any{"env", "prod"}},
		{"INSERT INTO slot_pool (pool, slots) VALUES (?, ?)", []any{"small", 2}},
		{"INSERT INTO ab_user (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
			[]any{"alice", "Admin", "$2a$hash", now}},
		{"INSERT INTO log (dttm, event, owner, dag_id) VALUES (?, ?, ?, ?)", []any{now, "dag.pause", "alice", "old_dag"}},
		{"INSERT INTO import_error (filename, timestamp, message) VALUES (?, ?, ?)", []any{"/dags/bad.yaml", now, "bad.yaml:1:1: oops"}},
	} {
		if err := db.Exec(q.sql, q.args...).Error; err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if err := closeDB(db); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != LatestSchemaVersion {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, LatestSchemaVersion)
	}

	// The v1 rows are intact.
	d, err := s.GetDag(ctx, "old_dag")
	if err != nil {
		t.Fatal(err)
	}
	if d.IsPaused || !d.IsActive || d.Schedule != "@daily" || len(d.Tags) != 1 || d.Tags[0] != "legacy" ||
		!d.LastParsedTime.Equal(now) || d.NextDagrun != nil {
		t.Errorf("old dag = %+v", d)
	}
	if src, err := s.DagSource(ctx, "old_dag"); err != nil || string(src) != "dag_id: old_dag\n" {
		t.Errorf("DagSource = %q, %v", src, err)
	}
	run, err := s.GetDagRun(ctx, "old_dag", "scheduled__1")
	if err != nil || run.State != tasks.RunSuccess || run.Conf["a"] != float64(1) || !run.LogicalDate.Equal(now) {
		t.Errorf("old run = %+v, %v", run, err)
	}
	tis, err := s.ListTaskInstances(ctx, "old_dag", "scheduled__1")
	if err != nil || len(tis) != 1 || tis[0].MaxTries != 2 || tis[0].ExitCode == nil || *tis[0].ExitCode != 0 ||
		tis[0].Pool != scheduler.DefaultPool || tis[0].NextRetryAt != nil || tis[0].FirstPokeAt != nil || tis[0].MapIndex != -1 {
		t.Errorf("old task instances = %+v, %v", tis, err)
	}
	if v, err := s.GetVariable(ctx, "env"); err != nil || v.Value != "prod" {
		t.Errorf("old variable = %+v, %v", v, err)
	}
	if p, err := s.GetPool(ctx, "small"); err != nil || p.Slots != 2 {
		t.Errorf("old pool = %+v, %v", p, err)
	}
	if u, err := s.GetUser(ctx, "alice"); err != nil || u.Role != scheduler.RoleAdmin || !u.Active {
		t.Errorf("old user = %+v, %v", u, err)
	}
	if ev, err := s.ListAuditEvents(ctx, 10); err != nil || len(ev) != 1 || ev[0].Event != "dag.pause" {
		t.Errorf("old audit log = %+v, %v", ev, err)
	}
	if ie, err := s.ListImportErrors(ctx); err != nil || len(ie) != 1 {
		t.Errorf("old import errors = %+v, %v", ie, err)
	}

	// The v2 columns and tables work on the old rows.
	next := now.Add(24 * time.Hour)
	if err := s.SetNextDagrun(ctx, scheduler.Dag{DagID: "old_dag", NextDagrun: &next, NextDagrunCreateAfter: &next}); err != nil {
		t.Fatal(err)
	}
	if d, err := s.GetDag(ctx, "old_dag"); err != nil || d.NextDagrun == nil || !d.NextDagrun.Equal(next) {
		t.Errorf("next dagrun after SetNextDagrun = %v, %v", d.NextDagrun, err)
	}
	exit := 1
	if _, err := s.AddTaskTry(ctx, scheduler.TaskTry{MapIndex: -1, DagID: "old_dag", RunID: "scheduled__1", TaskID: "extract",
		TryNumber: 1, State: tasks.StateFailed, ExitCode: &exit, Reason: "exit_code 1"}); err != nil {
		t.Fatal(err)
	}
	if tries, err := s.ListTaskTries(ctx, "old_dag", "scheduled__1", "extract"); err != nil || len(tries) != 1 || *tries[0].ExitCode != 1 {
		t.Errorf("tries = %+v, %v", tries, err)
	}
	if err := s.db.Create(&taskRescheduleModel{MapIndex: -1, DagID: "old_dag", RunID: "scheduled__1", TaskID: "extract",
		TryNumber: 1, StartDate: now, EndDate: now, RescheduleDate: next}).Error; err != nil {
		t.Errorf("task_reschedule: %v", err)
	}
	sha, err := s.PutModule(ctx, []byte("\x00asm"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := s.GetModule(ctx, sha); err != nil || string(b) != "\x00asm" {
		t.Errorf("module = %q, %v", b, err)
	}
	poke := now.Add(time.Minute)
	if _, err := s.CreateDagRun(ctx, scheduler.DagRun{DagID: "old_dag", RunID: "manual__2", LogicalDate: next},
		[]scheduler.TaskInstance{{TaskID: "wait", State: tasks.StateUpForReschedule, FirstPokeAt: &now, NextRetryAt: &poke}}); err != nil {
		t.Fatal(err)
	}
	tis, err = s.ListTaskInstances(ctx, "old_dag", "manual__2")
	if err != nil || len(tis) != 1 || tis[0].FirstPokeAt == nil || !tis[0].FirstPokeAt.Equal(now) ||
		tis[0].NextRetryAt == nil || !tis[0].NextRetryAt.Equal(poke) {
		t.Errorf("new task instances = %+v, %v", tis, err)
	}

	// A database migrated from v1 has exactly the schema of a fresh one.
	fresh := openRawDB(t)
	if err := migrateTo(ctx, fresh, LatestSchemaVersion); err != nil {
		t.Fatal(err)
	}
	if got, want := dumpSchema(t, s.db), dumpSchema(t, fresh); got != want {
		t.Errorf("migrated schema differs from a fresh one:\n%s\nwant:\n%s", got, want)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := t.Context()
	path := testURL(t)
	db := openRawDB(t, path)
	if err := migrateTo(ctx, db, LatestSchemaVersion); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'from the future', ?)",
		LatestSchemaVersion+1, time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("INSERT INTO variable (key, val) VALUES ('keep', 'me')").Error; err != nil {
		t.Fatal(err)
	}
	_ = closeDB(db)

	s, err := Open(ctx, path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database from a newer wasmflow succeeded")
	}
	for _, want := range []string{"upgrade wasmflow", fmt.Sprint(LatestSchemaVersion + 1)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error %q does not contain %q", err, want)
		}
	}
	// Nothing was touched.
	db = openRawDB(t, path)
	var val string
	if err := db.Raw("SELECT val FROM variable WHERE key = 'keep'").Scan(&val).Error; err != nil || val != "me" {
		t.Errorf("variable after refused Open = %q, %v", val, err)
	}
}

func TestMigrateToBounds(t *testing.T) {
	db := openRawDB(t)
	for _, v := range []int{-1, LatestSchemaVersion + 1} {
		if err := migrateTo(t.Context(), db, v); err == nil {
			t.Errorf("migrateTo(%d) succeeded", v)
		}
	}
	// Going "down" is a no-op, never a drop.
	if err := migrateTo(t.Context(), db, LatestSchemaVersion); err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(t.Context(), db, 1); err != nil {
		t.Fatal(err)
	}
	if !db.Migrator().HasTable("module_blob") {
		t.Error("migrateTo(1) on a v2 database dropped a v2 table")
	}
}

// TestOpenCurrentTakesNoWriteLock: opening a metastore whose schema is current only reads it,
// so a command (`dags test`, `dags list`) opens it at once while another process is writing,
// instead of queueing for the write lock (busy_timeout, 5 s) and failing when it is held longer.
// On PostgreSQL the lock is the advisory one every write transaction takes.
func TestOpenCurrentTakesNoWriteLock(t *testing.T) {
	ctx := t.Context()
	path := testURL(t)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	writer := openRawDB(t, path) // another process, in the middle of a write
	tx := writer.Begin()         // SQLite's _txlock=immediate: holds the write lock from here
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	defer tx.Rollback()
	if err := lockWrites(tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Exec("INSERT INTO variable (key, val) VALUES ('busy', 'writer')").Error; err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a current metastore while another process writes: %v", err)
	}
	s.Close()
}
