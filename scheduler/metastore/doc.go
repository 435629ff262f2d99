// Package metastore is the scheduler's Store on GORM and SQLite (github.com/glebarez/sqlite,
// pure Go) or PostgreSQL (gorm.io/driver/postgres over pgx, pure Go; postgres.go): the schema,
// its versioned migrations, and every query the rest of wasmflow makes.
// The metastore is the truth; everything held in memory elsewhere can be rebuilt from it.
//
// It implements scheduler.DagStore and scheduler.AdminStore, and the runs, tries and module
// blobs the scheduler and the runtime need. It imports scheduler and tasks only, never app,
// cluster or runtime; callers see the scheduler's types, never GORM's.
//
// Layout: models.go holds the current models, which only queries use; migrate.go the ordered
// list of migrations, each frozen in its own file (migrate_v1.go, migrate_v2.go, ...) with the
// struct snapshots it creates; testdata/schema_v*.sql pins the SQL each version produces on
// SQLite, testdata/postgres/schema_v*.sql the schema on PostgreSQL (`go test -run Schema
// -update`, with WASMFLOW_TEST_PG=1 for PostgreSQL's).
//
// Concurrency: one writer connection whose transactions BEGIN IMMEDIATE, plus a pool of
// query_only readers (WAL). Writers in one process queue in database/sql; writers in other
// processes are waited for with busy_timeout. On PostgreSQL one pool serves both, and every
// write transaction first takes one advisory lock (lockWrites), which keeps the same
// one-writer-at-a-time view across processes and machines. Never open a read-then-write transaction on the
// readers, and never use INSERT OR REPLACE on a parent row: the implicit delete cascades.
package metastore
