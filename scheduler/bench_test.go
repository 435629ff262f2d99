package scheduler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/wasmflow/wasmflow/scheduler"
)

// genDags writes n DAG files of 10 tasks each (a fan-out and a join, templates, a sensor and a
// branch), as an author would write them.
func genDags(b *testing.B, n int) string {
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "noop.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	for i := 0; i < n; i++ {
		var s strings.Builder
		fmt.Fprintf(&s, "dag_id: generated_%04d\nschedule: \"0 %d * * *\"\nstart_date: 2024-01-01\ntags: [generated]\n", i, i%24)
		s.WriteString("default_args:\n  retries: 2\n  retry_delay: 30s\ntasks:\n")
		s.WriteString("  - id: start\n    module: noop.wasm\n    args: [\"--date\", \"{{ ds }}\"]\n")
		s.WriteString("  - id: wait\n    sensor: 'file_exists(\"/data/\" + ds)'\n    mounts: [\"data:/data:ro\"]\n    upstream: [start]\n")
		for j := 0; j < 6; j++ {
			fmt.Fprintf(&s, "  - id: work_%d\n    module: noop.wasm\n    env: {PART: \"%d\", RUN: \"{{ run_id }}\"}\n    upstream: [wait]\n", j, j)
		}
		s.WriteString("  - id: choose\n    branch: '[\"join\"]'\n    upstream: [work_0, work_1, work_2, work_3, work_4, work_5]\n")
		s.WriteString("  - id: join\n    module: noop.wasm\n    trigger_rule: none_failed_min_one_success\n    upstream: [choose]\n")
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("dag_%04d.yaml", i)), []byte(s.String()), 0o644)
	}
	return dir
}

// BenchmarkDagSync1000 is `make bench`'s DAG-folder figure: parse, validate and record 1,000
// new DAG files of 10 tasks into a fresh SQLite metastore. The baseline, measured in the same
// run, reads and YAML-decodes the same files into maps and does nothing else.
func BenchmarkDagSync1000(b *testing.B) {
	dir := genDags(b, 1000)
	files, _ := scheduler.FindDagFiles(dir)
	var baseline, sync time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		for _, f := range files {
			data, _ := os.ReadFile(f)
			var v map[string]any
			if err := yaml.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
		baseline += time.Since(start)

		store := openStoreB(b)
		sy := &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
		start = time.Now()
		rep, err := sy.SyncOnce(context.Background())
		sync += time.Since(start)
		if err != nil || rep.Dags != 1000 || len(rep.Updated) != 1000 {
			b.Fatalf("sync: %+v, %v", rep, err)
		}
		store.Close()
	}
	b.ReportMetric(sync.Seconds()/float64(b.N), "s/sync")
	b.ReportMetric(float64(sync)/float64(baseline), "x_yaml_decode")
	b.ReportMetric(0, "ns/op") // the two figures above are the result
}

func openStoreB(b *testing.B) interface {
	scheduler.DagStore
	Close() error
} {
	s, err := openMetastore(filepath.Join(b.TempDir(), "wasmflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	return s
}
