package api_test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/wasmflow/wasmflow/internal/pgtest"
)

var pg struct {
	once sync.Once
	srv  *pgtest.Server
	err  error
}

// pgServer starts one PostgreSQL server for the test binary, the first time a test asks
// (TestMain stops it). Without the server binaries the test fails with the command that
// installs them.
func pgServer(t *testing.T) *pgtest.Server {
	t.Helper()
	pg.once.Do(func() { pg.srv, pg.err = pgtest.Start() })
	if pg.err != nil {
		t.Fatal(pg.err)
	}
	return pg.srv
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pg.srv != nil {
		if err := pg.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop the test PostgreSQL server:", err)
		}
	}
	os.Exit(code)
}
