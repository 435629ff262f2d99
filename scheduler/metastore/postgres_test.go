package metastore

import (
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// foreignKeysPostgres lists a table's foreign key columns as SQLite's pragma_foreign_key_list
// does: the referenced table, the column, the referenced column, the ON DELETE action.
const foreignKeysPostgres = `SELECT p.relname AS "table", a.attname AS "from", pa.attname AS "to",
	CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT'
		WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END AS on_delete
	FROM pg_constraint c
	CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(col, pcol)
	JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
	JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = k.pcol
	JOIN pg_class p ON p.oid = c.confrelid
	WHERE c.contype = 'f' AND c.conrelid = CAST(? AS regclass)
	ORDER BY c.conname, a.attname`

// dumpSchemaPostgres writes each table of the current schema as its columns (type, NOT NULL,
// default) and constraints, then its indexes, from the catalog: PostgreSQL keeps no CREATE
// statement to compare.
func dumpSchemaPostgres(t *testing.T, db *gorm.DB) string {
	t.Helper()
	var tables []string
	if err := db.Raw("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename").Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range tables {
		var cols []struct {
			Name, Type, Def string
			NotNull         bool
		}
		err := db.Raw(`SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
			COALESCE(pg_get_expr(d.adbin, d.adrelid), '') AS def
			FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
			WHERE a.attrelid = CAST(? AS regclass) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, table).Scan(&cols).Error
		if err != nil {
			t.Fatal(err)
		}
		var cons []struct{ Name, Def string }
		err = db.Raw(`SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
			WHERE conrelid = CAST(? AS regclass) ORDER BY conname`, table).Scan(&cons).Error
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, c := range cols {
			l := fmt.Sprintf("%s %s", c.Name, c.Type)
			if c.NotNull {
				l += " NOT NULL"
			}
			if c.Def != "" {
				l += " DEFAULT " + c.Def
			}
			lines = append(lines, l)
		}
		for _, c := range cons {
			lines = append(lines, "CONSTRAINT "+c.Name+" "+c.Def)
		}
		fmt.Fprintf(&b, "-- table %s\nCREATE TABLE %s (\n\t%s\n);\n\n", table, table, strings.Join(lines, ",\n\t"))
		var idx []struct{ Name, Def string }
		err = db.Raw(`SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?
			ORDER BY indexname`, table).Scan(&idx).Error
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range idx {
			fmt.Fprintf(&b, "-- index %s\n%s;\n\n", i.Name, i.Def)
		}
	}
	return b.String()
}

// TestSchedulerLock: on PostgreSQL one Store at a time holds the scheduler lock, whichever
// process (here: two Stores on one database); a release lets the next take it. On SQLite the
// home's file lock is the lock (app), and LockScheduler lets every caller through.
func TestSchedulerLock(t *testing.T) {
	url := testURL(t)
	a, b := openStore(t, url), openStore(t, url)
	releaseA, ok, err := a.LockScheduler(t.Context())
	if err != nil || !ok {
		t.Fatalf("first LockScheduler = %v, %v; want it taken", ok, err)
	}
	_, ok, err = b.LockScheduler(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := a.Dialect() == SQLite; ok != want {
		t.Fatalf("second LockScheduler while the first holds it = %v, want %v on %s", ok, want, a.Dialect())
	}
	if a.Shared() != (a.Dialect() == PostgreSQL) {
		t.Errorf("Shared = %v on %s", a.Shared(), a.Dialect())
	}
	releaseA()
	releaseB, ok, err := b.LockScheduler(t.Context())
	if err != nil || !ok {
		t.Fatalf("LockScheduler after the release = %v, %v; want it taken", ok, err)
	}
	releaseB()
}
