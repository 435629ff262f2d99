package runtime

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dieHelperEnv makes the test binary a process that runs tries and is killed in the middle of
// one (see dieHelper), as a crash or kill -9 would end a server or a worker.
const dieHelperEnv = "WASMFLOW_RUNTIME_DIE_HELPER"

// dieHelper opens a Runner on base, runs a try that leaves its /xcom empty (kept for the next
// try) and then one that sleeps, printing the module's output; it never returns. spec is
// "<base>\n<cache dir>\n<probe module path>".
func dieHelper(spec string) int {
	parts := strings.Split(spec, "\n")
	base, cacheDir, probePath := parts[0], parts[1], parts[2]
	probe, err := os.ReadFile(probePath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r, err := New(context.Background(), Config{CacheDir: cacheDir, TempDir: base})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, args := range [][]string{{"print", "first"}, {"sleep", "1h"}} {
		if _, err := r.Run(context.Background(), Try{TaskID: "t", Module: probe, Args: args, Log: os.Stdout}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 1
}

// entries lists base, as "name" for files and "name/" then "name/child" for folders.
func entries(t *testing.T, base string) []string {
	t.Helper()
	var out []string
	tops, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tops {
		if !e.IsDir() {
			out = append(out, e.Name())
			continue
		}
		out = append(out, e.Name()+"/")
		kids, _ := os.ReadDir(filepath.Join(base, e.Name()))
		for _, k := range kids {
			out = append(out, e.Name()+"/"+k.Name())
		}
	}
	return out
}

// TestXComFoldersOfADeadProcess: a process killed with -9 in the middle of a try leaves its
// /xcom folders behind; the next Runner made on the same folder removes them at start, and
// leaves those of Runners alive, whose tries go on working.
func TestXComFoldersOfADeadProcess(t *testing.T) {
	base := t.TempDir()
	goModule(t, "probe") // built into built.dir
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), dieHelperEnv+"="+base+"\n"+testCacheDir+"\n"+filepath.Join(built.dir, "probe"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "sleeping") {
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred Close runs
		t.Fatal(err)
	}
	_ = cmd.Wait()
	left := entries(t, base)
	if len(left) == 0 { // the sleeping try's /xcom at least
		t.Fatalf("the killed process left %v in %s; stderr:\n%s", left, base, stderr.String())
	}

	live := newRunner(t, Config{TempDir: base})
	run(t, live, Try{Module: goModule(t, "probe"), Args: []string{"print", "live"}})
	liveEntries := entries(t, base)
	for _, e := range left {
		if contains(liveEntries, e) {
			t.Errorf("%s, left by the killed process, is still there after New: %v", e, liveEntries)
		}
	}
	if len(liveEntries) != 2 {
		t.Errorf("with one live Runner, %s holds %v: want its folder and one idle /xcom", base, liveEntries)
	}
	// Another Runner starting sweeps again, and leaves the live one's folder alone.
	newRunner(t, Config{TempDir: base})
	if got := entries(t, base); fmt.Sprint(got) != fmt.Sprint(liveEntries) {
		t.Errorf("a second Runner's start changed %s from %v to %v", base, liveEntries, got)
	}
	if res, log := run(t, live, Try{Module: goModule(t, "probe"), Args: []string{"xcom", "k=v"}}); res.State != StateSuccess || string(res.XComs["k"]) != "v" {
		t.Errorf("the live Runner's next try: %+v\n%s", res, log)
	}
	live.Close(context.Background())
	if got := entries(t, base); len(got) != 0 {
		t.Errorf("after Close, %s holds %v", base, got)
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// TestNoXComFolderLeft: however tries end (success, an exit code, a timeout, out of memory, a
// quota, a bad XCom, canceled, running when the Runner closes), closing the Runner leaves
// nothing in its TempDir, and a folder given back after Close is removed, not kept.
func TestNoXComFolderLeft(t *testing.T) {
	base := t.TempDir()
	r := newRunner(t, Config{TempDir: base, XComQuota: 1 << 20, MaxXComBytes: 16})
	probe := goModule(t, "probe")
	for _, tc := range []struct {
		try  Try
		want State
	}{
		{Try{Args: []string{"print", "ok"}}, StateSuccess},
		{Try{Args: []string{"xcom", "k=v"}}, StateSuccess},
		{Try{Args: []string{"exit", "3"}}, StateFailed},
		{Try{Args: []string{"sleep", "1h"}, Timeout: 100 * time.Millisecond}, StateFailed},
		{Try{Args: []string{"alloc"}, MemoryLimit: 32 << 20}, StateFailed},
		{Try{Args: []string{"fill", "/xcom/big", "2000000"}}, StateFailed},
		{Try{Args: []string{"xcom", "k=" + strings.Repeat("v", 100)}}, StateFailed},
	} {
		tc.try.Module = probe
		if res, log := run(t, r, tc.try); res.State != tc.want {
			t.Errorf("%v: %s (%s), want %s\n%s", tc.try.Args, res.State, res.Reason, tc.want, log)
		}
	}
	// Canceled while it sleeps, and one running when the Runner closes.
	for _, closeRunner := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		var log syncBuffer
		log.onLine = func(line string) {
			if strings.HasPrefix(line, "sleeping") {
				if closeRunner {
					go r.Close(context.Background())
				}
				cancel()
			}
		}
		// Run's error is the cancel's, or ErrClosed when Close came first.
		if res, _ := r.Run(ctx, Try{TaskID: "t", Module: probe, Args: []string{"sleep", "1h"}, Log: &log}); !closeRunner && res.Reason != ReasonCanceled {
			t.Errorf("canceled: %s (%s)", res.State, res.Reason)
		}
		cancel()
	}
	r.Close(context.Background())
	if got := entries(t, base); len(got) != 0 {
		t.Errorf("after every try and Close, %s holds %v", base, got)
	}

	// A folder given back once its Runner closed (a try that ended as Close ran) goes.
	d := &xcomDirs{base: t.TempDir(), max: 4}
	dir, err := d.get()
	if err != nil {
		t.Fatal(err)
	}
	d.close()
	d.put(dir, true)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s given back after close: %v, want removed", dir, err)
	}
}
