package metastore

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wasmflow/wasmflow/scheduler"
)

// TestWALBounded: a burst of writes while readers keep reading (the API and the scheduler do
// both at once) does not grow the -wal file without end: SQLite's own checkpoints cannot
// restart the log while a reader is on it, so it grew to many times the database. The store
// checkpoints it past walLimit and truncates what is left.
func TestWALBounded(t *testing.T) {
	s := newSQLiteStore(t)
	ctx := context.Background()
	value := strings.Repeat("v", 2<<10)
	stop := make(chan struct{})
	var readers sync.WaitGroup
	var reads atomic.Int64
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.ListVariables(ctx); err != nil {
					t.Error(err)
					return
				}
				reads.Add(1)
			}
		}()
	}
	var most int64
	const writes = 20000
	for i := range writes {
		if err := s.SetVariable(ctx, scheduler.Variable{Key: fmt.Sprintf("k%d", i%2000), Value: value}); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			if fi, err := os.Stat(s.path + "-wal"); err == nil {
				most = max(most, fi.Size())
			}
		}
	}
	close(stop)
	readers.Wait()
	db, _ := os.Stat(s.path)
	t.Logf("%d writes of 2 KiB beside %d reads: the -wal file reached %d KiB, the database is %d KiB", writes, reads.Load(), most>>10, db.Size()>>10)
	if limit := int64(2 * walLimit); most > limit {
		t.Errorf("the -wal file reached %d KiB, want at most %d KiB (twice the checkpoint threshold)", most>>10, limit>>10)
	}
}
