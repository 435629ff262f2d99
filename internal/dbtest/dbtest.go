// Package dbtest hands a test a fresh, empty metastore database: a SQLite file in the test's
// temporary folder by default, or with WASMFLOW_TEST_PG=1 a new database on a private
// PostgreSQL server (internal/pgtest) that the test binary starts the first time it is asked,
// so one suite runs on either dialect (`make test` runs the metastore's and the scheduler's on
// both). A test binary that uses PostgreSQL calls Stop from its TestMain.
//
// With WASMFLOW_TEST_PG=1 and no PostgreSQL server binaries, every test fails, saying what to
// install: a CI run that asked for PostgreSQL must not pass without it.
package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wasmflow/wasmflow/internal/pgtest"
)

// EnvPG selects PostgreSQL for URL when set to 1.
const EnvPG = "WASMFLOW_TEST_PG"

// Postgres reports whether URL hands out PostgreSQL databases.
func Postgres() bool {
	v, _ := strconv.ParseBool(os.Getenv(EnvPG))
	return v
}

// Name is the dialect URL hands out, for test and benchmark names: "sqlite" or "postgres".
func Name() string {
	if Postgres() {
		return "postgres"
	}
	return "sqlite"
}

// URL returns the database.url of a new, empty database for tb (see the package doc).
func URL(tb testing.TB) string {
	tb.Helper()
	if Postgres() {
		return PostgresURL(tb)
	}
	return filepath.Join(tb.TempDir(), "wasmflow.db")
}

var pg struct {
	once  sync.Once
	srv   *pgtest.Server
	admin *pgx.Conn // the superuser's connection to the postgres database
	err   error
	mu    sync.Mutex // admin, n
	n     int
}

// PostgresURL returns the URL of a new database on the test binary's PostgreSQL server, whatever
// WASMFLOW_TEST_PG says (benchmarks compare both dialects in one run). The database is dropped
// when tb ends; close what uses it in an earlier Cleanup.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	pg.once.Do(start)
	if pg.err != nil {
		tb.Fatalf("%v\n(%s=1 runs the metastore tests on PostgreSQL: run `make deps` to install it)", pg.err, EnvPG)
	}
	pg.mu.Lock()
	pg.n++
	name := fmt.Sprintf("wf_test_%d", pg.n)
	_, err := pg.admin.Exec(context.Background(), "CREATE DATABASE "+name)
	pg.mu.Unlock()
	if err != nil {
		tb.Fatalf("create the test database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		pg.mu.Lock()
		defer pg.mu.Unlock()
		// FORCE: a test that failed half-way may leave a connection open.
		if _, err := pg.admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop the test database %s: %v", name, err)
		}
	})
	return serverURL(name)
}

func serverURL(db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(pg.srv.User, pg.srv.Password),
		Host: fmt.Sprintf("%s:%d", pg.srv.Host, pg.srv.Port), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

func start() {
	if pg.srv, pg.err = pgtest.Start(); pg.err != nil {
		return
	}
	if pg.admin, pg.err = pgx.Connect(context.Background(), serverURL("postgres")); pg.err != nil {
		pg.err = fmt.Errorf("dbtest: connect to the test server: %w", pg.err)
	}
}

// Stop stops the PostgreSQL server if this test binary started one. Call it from TestMain
// after m.Run.
func Stop() {
	if pg.admin != nil {
		pg.admin.Close(context.Background())
	}
	if pg.srv != nil {
		if err := pg.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop the test PostgreSQL server:", err)
		}
	}
}
