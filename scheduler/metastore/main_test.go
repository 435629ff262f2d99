package metastore

import (
	"os"
	"testing"

	"github.com/wasmflow/wasmflow/internal/dbtest"
)

// The suite runs on SQLite, or with WASMFLOW_TEST_PG=1 on PostgreSQL (internal/dbtest): every
// test that opens a store through newStore or testURL runs on the selected dialect. Tests of
// what only SQLite has (pragmas, the WAL, the file) open a SQLite file whatever is selected.
func TestMain(m *testing.M) {
	code := m.Run()
	dbtest.Stop()
	os.Exit(code)
}
