package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Two tries whose memory limits add up past MaxTaskMemory run one after the other: the second
// waits, says why, and starts once the first gave its memory back.
func TestMaxTaskMemoryAdmission(t *testing.T) {
	const limit = 64 << 20
	r := newRunner(t, Config{MaxTaskMemory: 100 << 20})
	probe := goModule(t, "probe")

	firstCtx, stopFirst := context.WithCancelCause(context.Background())
	defer stopFirst(nil)
	firstIn := make(chan struct{})
	firstDone := make(chan Result, 1)
	go func() {
		res, _ := r.Run(firstCtx, Try{Module: probe, TaskID: "first", Args: []string{"sleep", "1h"}, MemoryLimit: limit,
			Admitted: func() { close(firstIn) }})
		firstDone <- res
	}()
	<-firstIn

	var waited string
	var inUseAtStart int64
	second, _ := run(t, r, Try{Module: probe, TaskID: "second", Args: []string{"print", "ran"}, MemoryLimit: limit,
		Waiting: func(reason string) {
			waited = reason
			// Only now may the first end: the second waited while it ran.
			stopFirst(errors.New("the test is done with it"))
		},
		Admitted: func() { inUseAtStart = r.memory.inUse() }})
	stopFirst(errors.New("the second try ended")) // a no-op when the second waited, as it should
	first := <-firstDone

	if waited == "" {
		t.Fatal("the second try started next to the first: their memory limits add up to 128 MiB, over the cap of 100 MiB")
	}
	want := "waiting for memory: its memory_limit 64 MiB does not fit next to the 64 MiB of the tries running here (core.max_task_memory 100 MiB)"
	if waited != want {
		t.Errorf("reason %q, want %q", waited, want)
	}
	if first.Reason != ReasonCanceled {
		t.Errorf("first try: %s %s, want it canceled by the test", first.State, first.Reason)
	}
	if inUseAtStart != limit {
		t.Errorf("the second try started with %d bytes admitted, want only its own %d: the first had not given its memory back", inUseAtStart, limit)
	}
	if second.State != StateSuccess || second.XComs[ReturnValueKey] == nil {
		t.Errorf("second try: %s %s", second.State, second.Reason)
	}
	if n := r.memory.inUse(); n != 0 {
		t.Errorf("%d bytes still admitted after both tries ended", n)
	}
}

// A try whose memory limit alone is over MaxTaskMemory fails at once, saying both figures and
// the setting, without running.
func TestMaxTaskMemoryOversize(t *testing.T) {
	r := newRunner(t, Config{MaxTaskMemory: 32 << 20})
	start := time.Now()
	res, log := run(t, r, Try{Module: goModule(t, "probe"), Args: []string{"print", "ran"}, MemoryLimit: 64 << 20,
		Waiting: func(string) { t.Error("an oversize try waited: it can never fit") }})
	want := "memory_cap: memory_limit 64 MiB is over core.max_task_memory 32 MiB"
	if res.State != StateFailed || !strings.HasPrefix(res.Reason, want) || !strings.Contains(log, want) {
		t.Fatalf("%s %q, want failed with %q\n%s", res.State, res.Reason, want, log)
	}
	if strings.Contains(log, "ran") || res.XComs != nil || time.Since(start) > 5*time.Second {
		t.Errorf("the module ran:\n%s", log)
	}
}

// Admission is first come, first served: a small try that would fit does not overtake a big
// one that waits, and a waiter that gives up lets the next one in.
func TestMemoryBudgetFIFO(t *testing.T) {
	b := &memoryBudget{limit: 100}
	ctx := context.Background()
	relA, err := b.acquire(ctx, 60, nil)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		release func()
		err     error
	}
	start := func(ctx context.Context, n int64) (<-chan got, <-chan int) {
		done, ahead := make(chan got, 1), make(chan int, 1)
		go func() {
			rel, err := b.acquire(ctx, n, func(_ int64, a int) { ahead <- a })
			done <- got{rel, err}
		}()
		return done, ahead
	}
	bigCtx, giveUp := context.WithCancel(ctx)
	big, bigAhead := start(bigCtx, 60)
	if a := <-bigAhead; a != 0 {
		t.Fatalf("big waits behind %d, want 0", a)
	}
	small, smallAhead := start(ctx, 30) // 60+30 fits, but big came first
	if a := <-smallAhead; a != 1 {
		t.Fatalf("small waits behind %d, want 1 (the big try)", a)
	}
	giveUp()
	if g := <-big; g.err == nil {
		t.Fatal("big was admitted after its context ended")
	}
	g := <-small // with big gone, small fits next to A
	if g.err != nil {
		t.Fatal(g.err)
	}
	if n := b.inUse(); n != 90 {
		t.Fatalf("in use %d, want 90", n)
	}
	g.release()
	relA()
	relA() // a second release gives nothing back twice
	if n := b.inUse(); n != 0 {
		t.Fatalf("in use %d after every release, want 0", n)
	}
}

func TestDefaultMaxTaskMemory(t *testing.T) {
	got := DefaultMaxTaskMemory()
	if m := physicalMemory(); m > 0 && (got > m/2 || got <= 0) {
		t.Fatalf("DefaultMaxTaskMemory %d, want at most half of MemTotal %d", got, m)
	}
	if c := cgroupMemoryLimit(); c > 0 && got > c/2 {
		t.Fatalf("DefaultMaxTaskMemory %d, want at most half of the cgroup limit %d", got, c)
	}
}
