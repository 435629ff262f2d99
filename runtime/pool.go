package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// The warm pool keeps, for each module of Config.Pooled, PoolSize instances instantiated and
// run up to their first read of stdin, so that a try of such a module skips what costs it the
// most: for the script operator's 19 MB goja module, instantiating it (its memory and data
// segments, ~12 ms) and starting the Go runtime and goja (~15 ms), against a few ms for the
// script itself. Each instance serves one try and is then closed: tries never share one, so a
// try sees nothing of another's data.
//
// What a wasip1 module's config fixes at instantiation is bound when a try takes the instance,
// through indirections: stdin (lateStdin: the guest is blocked in its first read until then),
// stdout and stderr (lateWriter), the host functions' try (lateTry, in the context of the
// _start call), the memory limit (limitedMemory.limit, set before the guest runs on), the
// deadline (the instance's context ends when the try's does) and /xcom (the instance's own
// empty directory, the try's from then on). argv, the environment and mounts cannot be bound
// late: a pooled module sees argv ["pooled"], no environment and only /xcom, which is why only
// modules that need none of them are pooled (Config.Pooled), and a try with mounts or args
// runs a fresh instance.
//
// A warm instance holds its memory in the memory budget (Config.MaxTaskMemory): its limit
// (Config.DefaultMemoryLimit) while it starts, then what it has. The pool warms one only when
// it fits and no try waits for memory, and gives the idle ones up to a try that would wait.
// The try that takes one holds its own limit, as any try.

// pooledArgv0 is what a pooled instance sees as argv[0]: it has no task yet.
const pooledArgv0 = "pooled"

// warmPools are the Runner's pools, one per pooled module digest, made at its first try.
type warmPools struct {
	r       *Runner
	size    int
	digests map[string]bool // Config.Pooled

	mu     sync.Mutex
	byKey  map[string]*modulePool
	closed bool
	added  chan struct{}  // closed and replaced whenever a filler adds an instance
	wg     sync.WaitGroup // the pools' fillers
	served atomic.Int64   // tries that took a warm instance (for tests)
}

func newWarmPools(r *Runner, digests []string, size int) *warmPools {
	p := &warmPools{r: r, size: size, digests: map[string]bool{}, byKey: map[string]*modulePool{}, added: make(chan struct{})}
	for _, d := range digests {
		p.digests[d] = true
	}
	return p
}

// take returns a warm instance for try t of module c, or nil when t must run a fresh one (the
// module is not pooled, t has mounts or args, no instance is ready, or the ready one has more
// memory than t's limit). Call refill, never nil, when the try ended: the pool warms the next
// instances then, not while the try runs, which they would slow down on a busy machine.
func (p *warmPools) take(t Try, c *compiled, limit uint32) (w *warmInstance, refill func()) {
	if p.size <= 0 || !p.digests[c.digest] || len(t.Mounts) > 0 || len(t.Args) > 0 {
		return nil, func() {}
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, func() {}
	}
	mp := p.byKey[c.digest]
	if mp == nil {
		mp = &modulePool{pools: p, digest: c.digest, module: t.Module}
		p.byKey[c.digest] = mp
	}
	p.mu.Unlock()
	w = mp.take(limit)
	if w != nil {
		p.served.Add(1)
	}
	return w, mp.refill
}

// close discards every idle instance and waits for the fillers to stop.
func (p *warmPools) close() {
	p.mu.Lock()
	p.closed = true
	pools := p.byKey
	p.mu.Unlock()
	for _, mp := range pools {
		mp.close()
	}
	p.wg.Wait()
}

// shed discards the idle instances, whose memory a try waits for: a try comes before a warm
// instance. (One being warmed is discarded when it is ready, see fill.) The next try of their
// module warms them again.
func (p *warmPools) shed() {
	p.mu.Lock()
	pools := make([]*modulePool, 0, len(p.byKey))
	for _, mp := range p.byKey {
		pools = append(pools, mp)
	}
	p.mu.Unlock()
	for _, mp := range pools {
		mp.mu.Lock()
		idle := mp.idle
		mp.idle = nil
		mp.mu.Unlock()
		for _, w := range idle {
			w.discard()
		}
	}
}

// idle is how many warm instances wait, over every module, a channel closed when a filler adds
// one, and why a module is not pooled any more if one is not (for tests and benchmarks, which
// wait for a full pool).
func (p *warmPools) idle() (n int, added <-chan struct{}, broken error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, mp := range p.byKey {
		mp.mu.Lock()
		n += len(mp.idle)
		broken = errors.Join(broken, mp.broken)
		mp.mu.Unlock()
	}
	return n, p.added, broken
}

// added wakes idle's waiters.
func (p *warmPools) wake() {
	p.mu.Lock()
	close(p.added)
	p.added = make(chan struct{})
	p.mu.Unlock()
}

// modulePool is the warm instances of one module.
type modulePool struct {
	pools  *warmPools
	digest string
	module []byte

	mu      sync.Mutex
	idle    []*warmInstance
	warming bool
	closed  bool
	broken  error // an instance failed to warm: the module is not pooled any more
}

func (mp *modulePool) take(limit uint32) *warmInstance {
	mp.mu.Lock()
	var w *warmInstance
	if n := len(mp.idle); n > 0 && mp.idle[n-1].mem.size() <= uint64(limit)*pageSize {
		w = mp.idle[n-1]
		mp.idle = mp.idle[:n-1]
	}
	mp.mu.Unlock()
	return w
}

// refill starts the filler unless it runs, the pool is full, closed or broken.
func (mp *modulePool) refill() {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	if mp.warming || mp.closed || mp.broken != nil || len(mp.idle) >= mp.pools.size {
		return
	}
	mp.warming = true
	mp.pools.wg.Add(1)
	go mp.fill()
}

// fill warms instances one at a time until the pool is full. It stops early when the memory
// budget has no room (the next take tries again) or an instance fails to warm (for good).
func (mp *modulePool) fill() {
	defer mp.pools.wg.Done()
	for {
		mp.mu.Lock()
		if mp.closed || len(mp.idle) >= mp.pools.size {
			mp.warming = false
			mp.mu.Unlock()
			return
		}
		mp.mu.Unlock()
		w, err := mp.pools.r.warm(mp.module, mp.digest)
		mp.mu.Lock()
		if err != nil {
			if !errors.Is(err, errNoRoom) && !errors.Is(err, ErrClosed) {
				mp.broken = err
			}
			mp.warming = false
			mp.mu.Unlock()
			mp.pools.wake()
			return
		}
		if mp.closed || mp.pools.r.memory.queued() {
			// A try waits for memory (see shed): it has it before an instance does.
			mp.warming = false
			mp.mu.Unlock()
			w.discard()
			return
		}
		mp.idle = append(mp.idle, w)
		mp.mu.Unlock()
		mp.pools.wake()
	}
}

func (mp *modulePool) close() {
	mp.mu.Lock()
	mp.closed = true
	idle := mp.idle
	mp.idle = nil
	mp.mu.Unlock()
	for _, w := range idle {
		w.discard()
	}
}

// errNoRoom: the memory budget cannot hold another warm instance now.
var errNoRoom = errors.New("no room in the memory budget for a warm instance")

// warmInstance is an instance of a pooled module blocked in its first read of stdin.
type warmInstance struct {
	r       *Runner
	c       *compiled // held (modules.acquire) until the instance is closed
	inst    api.Module
	mem     *limitedMemory
	hold    *memoryHold
	xcomDir string
	xcom    *writeQuota // /xcom's, whose refused and log the try binds
	closeFS func()
	stdin   *lateStdin
	stdout  lateWriter
	stderr  lateWriter
	try     lateTry
	cancel  context.CancelCauseFunc // ends the instance's context, so wazero closes it
	done    chan struct{}           // closed when _start returned, with its error in err
	err     error
}

// warm instantiates module and runs it until it reads stdin.
func (r *Runner) warm(module []byte, digest string) (_ *warmInstance, err error) {
	ctx := context.Background()
	limit := limitPages(r.cfg.DefaultMemoryLimit)
	hold, ok := r.memory.tryHold(int64(limit) * pageSize)
	if !ok {
		return nil, errNoRoom
	}
	w := &warmInstance{r: r, hold: hold, mem: newLimitedMemory(limit), stdin: newLateStdin(), done: make(chan struct{})}
	defer func() {
		if err != nil {
			w.discard()
		}
	}()
	if w.c, err = r.mods.acquire(ctx, module, digest); err != nil {
		return nil, err
	}
	if w.c.err != nil {
		return nil, w.c.err
	}
	if w.xcomDir, err = r.dirs.get(); err != nil {
		return nil, err
	}
	w.xcom = r.xcomQuota()
	fsCfg, closeFS, err := fsConfig(nil, w.xcomDir, w.xcom, nil)
	if err != nil {
		return nil, err
	}
	w.closeFS = closeFS
	ictx, cancel := context.WithCancelCause(ctx)
	w.cancel = cancel
	cfg := r.base.WithArgs(pooledArgv0).WithStdin(w.stdin).WithStdout(&w.stdout).WithStderr(&w.stderr).
		WithFSConfig(fsCfg).WithNanosleep(sleeper(ictx))
	if w.inst, err = r.rt.InstantiateModule(experimental.WithMemoryAllocator(ictx, w.mem), w.c.mod, cfg); err != nil {
		return nil, fmt.Errorf("warm module %s: %w", digest[:12], err)
	}
	go func() {
		defer close(w.done)
		_, w.err = w.inst.ExportedFunction("_start").Call(withLateTry(ictx, &w.try))
	}()
	select {
	case <-w.stdin.waiting:
	case <-w.done:
		return nil, fmt.Errorf("warm module %s: it ended before reading stdin: %v%s", digest[:12], w.err, w.stderr.early())
	}
	// The guest waits in its read: its memory cannot grow before a try takes it.
	hold.shrink(int64(w.mem.size()))
	return w, nil
}

// run binds try st to the instance and lets it run to its exit: the memory limit, the host
// functions' try, stdout and stderr, the deadline of runCtx and then stdin.
func (w *warmInstance) run(runCtx context.Context, st *tryState, limit uint32, stdin string, stdout, stderr *streamWriter) error {
	w.hold.release() // the try's own admission holds its limit
	w.mem.limit = uint64(limit) * pageSize
	w.xcom.refused, w.xcom.log = &st.quotaRefused, st.log
	w.try.st.Store(st)
	w.stdout.w.Store(stdout)
	w.stderr.w.Store(stderr)
	stop := context.AfterFunc(runCtx, func() { w.cancel(context.Cause(runCtx)) })
	defer stop()
	w.stdin.input <- strings.NewReader(stdin) // the guest reads on from here
	<-w.done
	return w.err
}

// closeAfterRun releases what the instance held after its try; the try keeps its /xcom.
func (w *warmInstance) closeAfterRun() {
	w.closeFS()
	w.cancel(nil)
	_ = w.inst.Close(context.Background())
	w.r.mods.release(context.Background(), w.c)
}

// discard closes an instance no try took (the pool closes, or it failed to warm).
func (w *warmInstance) discard() {
	if w.hold != nil {
		w.hold.release()
	}
	if w.cancel != nil {
		w.cancel(ErrClosed)
	}
	if w.inst != nil {
		close(w.stdin.input) // its read returns EOF, and the closed instance stops
		<-w.done
		_ = w.inst.Close(context.Background())
	}
	if w.closeFS != nil {
		w.closeFS()
	}
	if w.xcomDir != "" {
		w.r.dirs.put(w.xcomDir, false)
	}
	if w.c != nil {
		w.r.mods.release(context.Background(), w.c)
	}
}

// lateStdin is a pooled instance's stdin: its first read waits for the try's input.
type lateStdin struct {
	waiting chan struct{}  // closed at the first read
	input   chan io.Reader // the try's stdin; closed when no try will come
	once    sync.Once
	r       io.Reader // the guest's goroutine's only
}

func newLateStdin() *lateStdin {
	return &lateStdin{waiting: make(chan struct{}), input: make(chan io.Reader, 1)}
}

func (s *lateStdin) Read(p []byte) (int, error) {
	if s.r == nil {
		s.once.Do(func() { close(s.waiting) })
		r, ok := <-s.input
		if !ok {
			return 0, io.EOF
		}
		s.r = r
	}
	return s.r.Read(p)
}

// lateWriter is a pooled instance's stdout or stderr: the try's stream once bound; before, the
// first bytes are kept to explain an instance that fails to warm.
type lateWriter struct {
	w   atomic.Pointer[streamWriter]
	pre []byte // before binding, the guest's goroutine's only
}

// maxEarlyBytes is how much of an unbound stream lateWriter keeps.
const maxEarlyBytes = 4 << 10

func (l *lateWriter) Write(p []byte) (int, error) {
	if w := l.w.Load(); w != nil {
		return w.Write(p)
	}
	l.pre = append(l.pre, p[:min(len(p), maxEarlyBytes-len(l.pre))]...)
	return len(p), nil
}

// early is what the guest wrote before binding, for an error message.
func (l *lateWriter) early() string {
	if s := strings.TrimSpace(string(l.pre)); s != "" {
		return ": " + s
	}
	return ""
}

// lateTry is the try a pooled instance's host functions serve, once bound.
type lateTry struct{ st atomic.Pointer[tryState] }

func withLateTry(ctx context.Context, l *lateTry) context.Context {
	return context.WithValue(ctx, tryStateKey{}, l)
}
