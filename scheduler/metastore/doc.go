// Package metastore is the scheduler's Store on GORM and SQLite (github.com/glebarez/sqlite,
// pure Go): the schema, its versioned migrations, and every query the rest of wasmflow makes.
// The metastore is the truth; everything held in memory elsewhere can be rebuilt from it.
//
// It implements scheduler.DagStore and scheduler.AdminStore, and the runs, tries and module
// blobs the scheduler and the runtime need. It imports scheduler and tasks only, never app,
// cluster or runtime; callers see the scheduler's types, never GORM's.
//
// Layout: models.go holds the current models, which only queries use; migrate.go the ordered
// list of migrations, each frozen in its own file (migrate_v1.go, migrate_v2.go, ...) with the
// struct snapshots it creates; testdata/schema_v*.sql pins the SQL each version produces.
//
// Concurrency: one writer connection whose transactions BEGIN IMMEDIATE, plus a pool of
// query_only readers (WAL). Writers in one process queue in database/sql; writers in other
// processes are waited for with busy_timeout. Never open a read-then-write transaction on the
// readers, and never use INSERT OR REPLACE on a parent row: the implicit delete cascades.
package metastore
