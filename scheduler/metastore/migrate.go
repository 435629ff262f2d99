package metastore

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// migration is one step of the schema. up runs inside an immediate transaction together with
// the schema_version row that records it, so a step is applied entirely or not at all.
//
// A migration is frozen once released: it creates tables from struct snapshots declared in its
// own file (v1*, v2*), never from the current models, so later model changes cannot change
// what an old migration does. Fix a released migration with a new one.
type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB) error
	// rebuildsTables asks for SQLite's foreign keys off while it runs: it drops tables that
	// others reference, which with them on would delete (and cascade) every row first.
	rebuildsTables bool
}

// migrations is the schema history, oldest first; versions are 1, 2, 3, ... without gaps.
var migrations = []migration{
	{version: 1, name: "core tables", up: migrateV1},
	{version: 2, name: "task history, reschedules, module blobs, next run", up: migrateV2},
	{version: 3, name: "commands for a running scheduler", up: migrateV3},
	{version: 4, name: "sessions revoked by a logout", up: migrateV4},
	{version: 5, name: "connections", up: migrateV5},
	{version: 6, name: "granted-I/O calls of tries", up: migrateV6},
	{version: 7, name: "scheduler jobs and run ownership", up: migrateV7},
	{version: 8, name: "map_index of mapped task instances", up: migrateV8, rebuildsTables: true},
	{version: 9, name: "datasets, their events, references and queue", up: migrateV9},
	{version: 10, name: "callback requests and SLA misses", up: migrateV10},
	{version: 11, name: "notes on runs and task instances", up: migrateV11},
}

// LatestSchemaVersion is the schema version this build of wasmflow creates and expects: the
// version of the last entry of migrations (a test keeps the two equal).
const LatestSchemaVersion = 11

// createVersionTable is frozen SQL: schema_version predates every migration. PostgreSQL has
// no DATETIME: its twin stores an instant (timestamptz), as GORM's migrator does for the
// tables of the migrations.
const (
	createVersionTable = `CREATE TABLE IF NOT EXISTS schema_version (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at DATETIME NOT NULL
)`
	createVersionTablePostgres = `CREATE TABLE IF NOT EXISTS schema_version (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TIMESTAMPTZ NOT NULL
)`
)

// currentVersion returns the highest applied version, 0 for an empty database. On PostgreSQL
// it first takes the write lock: CREATE TABLE IF NOT EXISTS is not safe against itself there
// (two at once: one fails on a duplicate key), and the version read must stay true until the
// transaction commits, as it does under SQLite's immediate transactions.
func currentVersion(tx *gorm.DB) (int, error) {
	if err := lockWrites(tx); err != nil {
		return 0, err
	}
	create := createVersionTable
	if tx.Dialector.Name() == "postgres" {
		create = createVersionTablePostgres
	}
	if err := tx.Exec(create).Error; err != nil {
		return 0, fmt.Errorf("create schema_version: %w", err)
	}
	return appliedVersion(tx)
}

// appliedVersion reads the highest applied version; it fails when there is no schema_version.
func appliedVersion(db *gorm.DB) (int, error) {
	var v int
	if err := db.Raw("SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&v).Error; err != nil {
		return 0, fmt.Errorf("read schema_version: %w", err)
	}
	return v, nil
}

// errNewerSchema says what to do about a database written by a newer wasmflow.
func errNewerSchema(have int) error {
	return fmt.Errorf("the metastore has schema version %d but this wasmflow knows only up to %d: "+
		"upgrade wasmflow (the database is left untouched)", have, LatestSchemaVersion)
}

// migrateTo applies every pending migration up to and including version, one immediate
// transaction each. The version is read again under each transaction's write lock, so
// processes opening the same file at once apply each step exactly once.
func migrateTo(ctx context.Context, db *gorm.DB, version int) error {
	if version < 0 || version > LatestSchemaVersion {
		return fmt.Errorf("migrate to version %d: versions run from 1 to %d", version, LatestSchemaVersion)
	}
	// Nearly every open finds the schema current: one read says so, without taking the write
	// lock (which would wait for another process's writer) and committing. A database without
	// the table yet, or one behind, is read again under the lock below.
	have, err := appliedVersion(db.WithContext(ctx))
	if err != nil || have < version {
		err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			have, err = currentVersion(tx)
			return err
		})
	}
	if err != nil {
		return err
	}
	if have > LatestSchemaVersion {
		return errNewerSchema(have)
	}
	for _, m := range migrations {
		if m.version > version || m.version <= have {
			continue
		}
		err := inMigrationTx(ctx, db, m, func(tx *gorm.DB) error {
			v, err := currentVersion(tx)
			if err != nil {
				return err
			}
			if v >= m.version {
				return nil // another process applied it while we waited for the lock
			}
			if v != m.version-1 {
				return fmt.Errorf("schema version is %d, want %d", v, m.version-1)
			}
			if err := m.up(tx); err != nil {
				return err
			}
			return tx.Exec("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, now()).Error
		})
		if err != nil {
			return fmt.Errorf("migrate to schema version %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

// inMigrationTx runs fn in a transaction, for a migration that rebuilds tables on SQLite on a
// connection of its own with foreign keys off (they cannot change inside a transaction).
func inMigrationTx(ctx context.Context, db *gorm.DB, m migration, fn func(tx *gorm.DB) error) error {
	if !m.rebuildsTables || db.Dialector.Name() == "postgres" {
		return db.WithContext(ctx).Transaction(fn)
	}
	return db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		if err := conn.Exec("PRAGMA foreign_keys = OFF").Error; err != nil {
			return err
		}
		defer conn.Exec("PRAGMA foreign_keys = ON")
		return conn.Transaction(fn)
	})
}
