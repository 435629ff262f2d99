package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/internal/pgtest"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestServersPostgresKill9: two `wasmflow server` processes, from two homes, on one
// PostgreSQL database, both active. They race to create the scheduled runs of a DAG with
// catchup, and drive them together; the first is killed with SIGKILL while it drives runs
// with tries running in its own slots. After scheduler.orphan_timeout the other takes its runs
// over: every run succeeds, one run per interval, the tries that died with the killed server
// run again without using a retry (the DAG has none), and no try printed its output twice.
func TestServersPostgresKill9(t *testing.T) {
	bin := buildBinary(t)
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	if _, err := pg.Psql("postgres", "CREATE DATABASE ha"); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("postgres://%s:%s@%s:%d/ha?sslmode=disable", pg.User, pg.Password, pg.Host, pg.Port)
	const runs = 8
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -runs)
	var dag strings.Builder
	fmt.Fprintf(&dag, "dag_id: ha\nschedule: \"@daily\"\nstart_date: %s\ncatchup: true\nmax_active_runs: 8\nis_paused_upon_creation: false\ntasks:\n", start.Format("2006-01-02"))
	for i := range 5 {
		fmt.Fprintf(&dag, "  - {id: a%d, module: modules/sleep.wasm, args: [\"0.5\"]}\n", i)
		fmt.Fprintf(&dag, "  - {id: b%d, module: modules/sleep.wasm, args: [\"0.5\"], upstream: [a%d]}\n", i, i)
	}

	homes := make([]*home, 2)
	servers := make([]*proc, 2)
	var dags string
	for i := range homes {
		env := []string{"WASMFLOW__DATABASE__URL", url, "WASMFLOW__CORE__LOAD_EXAMPLES", "false",
			"WASMFLOW__CLUSTER__BIND", "127.0.0.1:" + strconv.Itoa(clusterPort(t)), "WASMFLOW__API__LISTEN", "127.0.0.1:" + strconv.Itoa(apiPort(t)),
			"WASMFLOW__SCHEDULER__HEARTBEAT_INTERVAL", "500ms", "WASMFLOW__SCHEDULER__ORPHAN_TIMEOUT", "3s"}
		if i == 0 {
			homes[0] = newHome(t, env...)
			dags = withModules(t, homes[0], "sleep")
			if err := os.WriteFile(filepath.Join(dags, "ha.yaml"), []byte(dag.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			homes[0].ok("db", "migrate")
		} else {
			homes[i] = newHome(t, append(env, "WASMFLOW__CORE__DAGS_FOLDER", dags)...)
		}
		penv := map[string]string{"WASMFLOW_HOME": homes[i].dir}
		for k, v := range homes[i].env {
			penv[k] = v
		}
		servers[i] = startProc(t, bin, fmt.Sprintf("server%d", i), homes[i].dir, penv, "server", "--slots", "4")
		servers[i].waitOutput(`the scheduler is running`, 30*time.Second)
	}

	store, err := metastore.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	// The second server prints its address before its scheduler job is in the metastore:
	// wait for both jobs rather than read them once (that read failed a CI run).
	var jobs []scheduler.SchedulerJob
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if jobs, err = store.ListJobs(ctx); err == nil && len(jobs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("scheduler jobs: %+v, %v", jobs, err)
		}
	}
	first := jobs[1].ID // started first, listed last
	// Kill the first server while it drives a run with a try running in its own slots.
	var held []string
	deadline := time.Now().Add(60 * time.Second)
	for len(held) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the first server never drove a run with a try running:\n%s", servers[0].output())
		}
		running, err := store.ListDagRuns(ctx, "ha", tasks.RunRunning, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range running {
			if r.OwnerJobID != first {
				continue
			}
			tis, _ := store.ListTaskInstances(ctx, "ha", r.RunID)
			for _, ti := range tis {
				if ti.State == tasks.StateRunning {
					held = append(held, r.RunID)
					break
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	servers[0].kill9()

	// The second server finishes everything, the killed one's runs included.
	all := func() []scheduler.DagRun {
		rs, err := store.ListDagRuns(ctx, "ha", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	deadline = time.Now().Add(90 * time.Second)
	for {
		rs, done := all(), 0
		for _, r := range rs {
			if r.State.Finished() {
				done++
			}
		}
		if len(rs) == runs && done == runs {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d runs ended:\n%s", done, len(rs), servers[1].output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	intervals := map[time.Time]bool{}
	reran := 0
	for _, r := range all() {
		if r.State != tasks.RunSuccess || intervals[r.LogicalDate] {
			t.Errorf("run %s: %s (interval seen before: %v)", r.RunID, r.State, intervals[r.LogicalDate])
		}
		intervals[r.LogicalDate] = true
		tis, _ := store.ListTaskInstances(ctx, "ha", r.RunID)
		for _, ti := range tis {
			if ti.State != tasks.StateSuccess {
				t.Errorf("%s: %s (%s)", ti.Key(), ti.State, ti.Reason)
			}
			// A try that ran to its end printed "slept" in its log, under the home of the
			// server that ran it: the last try exactly once, one the kill interrupted at most
			// once (it may have ended just before its result was written).
			for try := 1; try <= ti.TryNumber; try++ {
				printed := 0
				for _, h := range homes {
					b, _ := os.ReadFile(cluster.LogPath(filepath.Join(h.dir, "logs"), ti.Key(), try))
					printed += strings.Count(string(b), "slept")
				}
				if printed > 1 || (try == ti.TryNumber && printed != 1) {
					t.Errorf("%s try %d of %d printed its output %d times", ti.Key(), try, ti.TryNumber, printed)
				}
			}
			reran += ti.TryNumber - 1
		}
	}
	for _, id := range held {
		if r, _ := store.GetDagRun(ctx, "ha", id); r.OwnerJobID == first {
			t.Errorf("run %s is still the killed server's", id)
		}
	}
	if reran == 0 {
		t.Errorf("no try ran again: the killed server's running tries were not taken over")
	}
	if !strings.Contains(servers[1].output(), "adopting a run of a scheduler not heard from") {
		t.Errorf("the second server did not say it adopted the runs:\n%s", servers[1].output())
	}
}
