package runtime

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"
)

// Config configures a Runner. The zero value works: every field has a default.
type Config struct {
	// CacheDir holds compiled modules on disk across processes (the home's cache/). Empty: an
	// in-memory cache only, so every process compiles each module once.
	CacheDir string
	// MaxLogBytes caps the module's output in a try's log; past it a marker line says the log was
	// truncated and the rest is dropped. Default 10 MiB.
	MaxLogBytes int64
	// MaxXComBytes caps each XCom value. Default 48 KiB.
	MaxXComBytes int
	// MaxXComs caps the number of XComs one try may leave. Default 100.
	MaxXComs int
	// DefaultMemoryLimit applies to tries with no MemoryLimit. Default 256 MiB.
	DefaultMemoryLimit int64
	// MaxModules is how many compiled modules stay in memory; the least recently used idle ones
	// are dropped past it (the disk cache keeps them cheap to load again). Default 64.
	MaxModules int
	// Hostname is reported in every Result. Default os.Hostname().
	Hostname string
	// TempDir is where the Runner makes its folder (wasmflow-runner-*) for the tries' /xcom
	// directories, removed by Close; New removes the folders that Runners of processes that
	// died without closing theirs left there. Default os.TempDir().
	TempDir string
	// MaxTaskMemory caps the memory limits of the tries running at once, added up (each try
	// counts its MemoryLimit, or DefaultMemoryLimit). A try that does not fit waits for running
	// ones to end, first come first served; one whose limit alone is over it fails at once.
	// Default DefaultMaxTaskMemory(): half of the machine's memory. core.max_task_memory.
	MaxTaskMemory int64
	// XComQuota caps the bytes one try may write into its /xcom (files and xcom_push alike,
	// InodeCost more for each file or directory made): past it writes fail with ENOSPC.
	// Default MaxXComs × (MaxXComBytes + InodeCost), the most it can leave.
	XComQuota int64
	// MountQuota caps the bytes one try may write into its writable mounts, together, unless
	// the Try sets its own: past it writes fail with ENOSPC. Default DefaultMountQuota.
	// core.mount_quota.
	MountQuota int64
	// Calls limits each try's granted I/O (sizes, per-call timeout, calls per try, rows).
	Calls CallLimits
	// Network is how granted I/O resolves names and dials; the zero value is the system's.
	Network Network
	// Pooled are the sha256 digests (see Digest) of the modules whose instances the Runner
	// keeps warm, PoolSize of each from their first try on: instantiated and run up to their
	// first read of stdin, each then serving one try (pool.go). Only for modules that read
	// neither argv nor the environment nor any mount, which a pooled instance cannot be given:
	// the built-in operators' (operators.PooledDigests), for which instantiating and starting
	// the Go runtime (and goja) is most of a try. Their tries with mounts or args run fresh
	// instances.
	Pooled []string
	// PoolSize is how many warm instances of each Pooled module wait for a try. Default
	// DefaultPoolSize; negative: none.
	PoolSize int
}

// Defaults of Config.
const (
	DefaultMaxLogBytes  = 10 << 20
	DefaultMaxXComBytes = 48 << 10
	DefaultMaxXComs     = 100
	DefaultMemoryLimit  = 256 << 20
	DefaultMaxModules   = 64
	DefaultMountQuota   = 1 << 30
	DefaultPoolSize     = 2
)

func (c Config) withDefaults() Config {
	if c.MaxLogBytes <= 0 {
		c.MaxLogBytes = DefaultMaxLogBytes
	}
	if c.MaxXComBytes <= 0 {
		c.MaxXComBytes = DefaultMaxXComBytes
	}
	if c.MaxXComs <= 0 {
		c.MaxXComs = DefaultMaxXComs
	}
	if c.DefaultMemoryLimit <= 0 {
		c.DefaultMemoryLimit = DefaultMemoryLimit
	}
	if c.MaxModules <= 0 {
		c.MaxModules = DefaultMaxModules
	}
	if c.Hostname == "" {
		c.Hostname, _ = os.Hostname()
	}
	if c.MaxTaskMemory <= 0 {
		c.MaxTaskMemory = DefaultMaxTaskMemory()
	}
	if c.XComQuota <= 0 {
		c.XComQuota = int64(c.MaxXComs) * (int64(c.MaxXComBytes) + InodeCost)
	}
	if c.MountQuota <= 0 {
		c.MountQuota = DefaultMountQuota
	}
	if c.PoolSize == 0 {
		c.PoolSize = DefaultPoolSize
	}
	c.Calls = c.Calls.withDefaults()
	c.Network = c.Network.withDefaults()
	return c
}

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("runtime: runner closed")

// errTimeout is the cause of a try's context when its Timeout fires.
var errTimeout = errors.New("execution_timeout reached")

// Runner runs tries. One per process: it owns the wazero runtime, the compilation cache and the
// compiled modules. Safe for concurrent use; tries run in parallel.
type Runner struct {
	cfg    Config
	cache  wazero.CompilationCache
	rt     wazero.Runtime
	mods   *modules
	base   wazero.ModuleConfig // what every try's module config starts from
	dirs   *xcomDirs
	memory *memoryBudget
	pools  *warmPools
	closed atomic.Bool
	// closing makes every Close wait for the first one to finish (its folders removed), which
	// closeErr answers to all of them.
	closing  sync.Once
	closeErr error
}

// New makes a Runner. Close it to release the runtime and the compiled code.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	cfg = cfg.withDefaults()
	sweepRunnerFolders(cfg.TempDir) // what Runners of processes that died left
	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		var err error
		if cache, err = wazero.NewCompilationCacheWithDir(cfg.CacheDir); err != nil {
			return nil, fmt.Errorf("open compilation cache %s: %w", cfg.CacheDir, err)
		}
	} else {
		cache = wazero.NewCompilationCache()
	}
	// One runtime for every try. The memory limit is per try (see limitedMemory), so it needs
	// no runtime per limit value, and a module compiles once whatever its tries' limits.
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCompilationCache(cache).
		WithCloseOnContextDone(true))
	if err := instantiateWASI(ctx, rt); err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("instantiate WASI: %w", err)
	}
	if err := instantiateHostModule(ctx, rt); err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	knowProvided(rt)
	base := wazero.NewModuleConfig().
		WithName("").         // anonymous: any number of instances of one module at once
		WithStartFunctions(). // Run calls _start itself: link errors and traps stay apart
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader)
	r := &Runner{cfg: cfg, cache: cache, rt: rt, mods: newModules(rt, cfg.MaxModules), base: base,
		dirs: &xcomDirs{base: cfg.TempDir, max: 64}, memory: &memoryBudget{limit: cfg.MaxTaskMemory}}
	r.pools = newWarmPools(r, cfg.Pooled, cfg.PoolSize)
	return r, nil
}

// Hostname is the machine the runner's tries run on, as every Result reports it.
func (r *Runner) Hostname() string { return r.cfg.Hostname }

// Close stops the runtime: compiled modules are dropped (not the disk cache), and running
// tries are stopped. Cancel their contexts first to have them end as canceled. A Close while
// another one runs waits for it, and every call answers the first one's error.
func (r *Runner) Close(ctx context.Context) error {
	r.closing.Do(func() {
		r.closed.Store(true)
		r.pools.close()
		r.dirs.close()
		r.closeErr = errors.Join(r.rt.Close(ctx), r.cache.Close(ctx))
	})
	return r.closeErr
}

// Run runs one try and returns its outcome. Anything the module does — exit codes, traps,
// timeouts, running out of memory, not compiling, bad XComs — is a Result, never an error.
// The error is for the host's side: an invalid Try (bad mounts, env), a temporary directory
// that cannot be made, a Log that fails, ErrClosed, or ctx canceled (the Result then says
// "canceled").
func (r *Runner) Run(ctx context.Context, t Try) (Result, error) {
	if r.closed.Load() {
		return Result{}, ErrClosed
	}
	if err := checkTry(t); err != nil {
		return Result{}, fmt.Errorf("run %s: %w", t.TaskID, err)
	}
	limit := limitPages(t.MemoryLimit)
	if t.MemoryLimit == 0 {
		limit = limitPages(r.cfg.DefaultMemoryLimit)
	}
	res := Result{ExitCode: -1, MemoryLimitPages: limit, Hostname: r.cfg.Hostname}
	log := newTryLog(t.Log, r.cfg.MaxLogBytes)

	release, err := r.admit(ctx, t, limit, log, &res)
	if release == nil {
		return res, errors.Join(err, log.close())
	}
	defer release()

	c, err := r.mods.acquire(ctx, t.Module, t.ModuleSHA256)
	if err != nil {
		return res, fmt.Errorf("run %s: %w", t.TaskID, err)
	}
	defer r.mods.release(ctx, c)
	if r.closed.Load() { // closed while compiling: whatever c says, it is not the module's fault
		return res, ErrClosed
	}
	res.ModuleSHA256 = c.digest
	if c.err != nil {
		res.State, res.Reason = StateFailed, ReasonCompileError+": "+firstLine(c.err.Error())
		log.note("module %s does not compile: %v", c.digest[:12], c.err)
		return res, log.close()
	}
	if need := minPages(c.mod); need > limit {
		res.State, res.Reason = StateFailed, ReasonOOM
		log.note("the module needs %s of memory to start, over its memory limit of %s", pages(uint64(need)), pages(uint64(limit)))
		return res, log.close()
	}

	if err := r.try(ctx, t, c, limit, log, &res); err != nil {
		return res, errors.Join(fmt.Errorf("run %s: %w", t.TaskID, err), log.close())
	}
	return res, log.close()
}

// admit waits until the try's memory limit fits in MaxTaskMemory next to the tries running, and
// returns what gives it back. A nil release means the try does not run: res says why (over the
// cap), or err does (ctx ended while it waited, res then says canceled).
func (r *Runner) admit(ctx context.Context, t Try, limit uint32, log *tryLog, res *Result) (release func(), err error) {
	need, max := int64(limit)*pageSize, r.memory.limit
	if need > max {
		res.State = StateFailed
		res.Reason = fmt.Sprintf("%s: memory_limit %s is over core.max_task_memory %s, the most the tries of this process may hold together: "+
			"lower the task's memory_limit or raise core.max_task_memory", ReasonMemoryCap, byteSize(need), byteSize(max))
		log.note("%s", res.Reason)
		return nil, nil
	}
	release, err = r.memory.acquire(ctx, need, func(used int64, ahead int) {
		r.pools.shed() // warm instances give their memory back to a try that waits
		why := fmt.Sprintf("waiting for memory: its memory_limit %s does not fit next to the %s of the tries running here (core.max_task_memory %s)",
			byteSize(need), byteSize(used), byteSize(max))
		if ahead > 0 {
			why += fmt.Sprintf(", %d waiting before it", ahead)
		}
		if t.Waiting != nil {
			t.Waiting(why)
		}
	})
	if err != nil {
		res.State, res.Reason = StateFailed, ReasonCanceled
		log.note("the try was canceled while it waited for memory: %v", err)
		return nil, fmt.Errorf("run %s: %w", t.TaskID, err)
	}
	if t.Admitted != nil {
		t.Admitted()
	}
	return release, nil
}

// try runs a compiled module in its sandbox, a warm instance of it if the pool has one, and
// fills res. The error is the host's: no /xcom, the runner closed under it, or ctx canceled.
func (r *Runner) try(ctx context.Context, t Try, c *compiled, limit uint32, log *tryLog, res *Result) error {
	warm, refill := r.pools.take(t, c, limit)
	defer refill()
	stdout := &streamWriter{log: log, last: &lastLine{limit: r.cfg.MaxXComBytes}}
	stderr := &streamWriter{log: log}
	st := &tryState{taskID: t.TaskID, maxXCom: r.cfg.MaxXComBytes, log: log,
		xcomIn: t.XComIn, hostLogs: &streamWriter{log: log}, calls: newCallState(t.Grants, r.cfg.Calls, r.cfg.Network, log)}
	defer st.calls.close()

	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if t.Timeout > 0 {
		runCtx, cancel = context.WithTimeoutCause(ctx, t.Timeout, errTimeout)
	}
	defer cancel()

	var mem *limitedMemory
	var err error
	start := time.Now()
	if warm != nil { // its /xcom, quota and memory are the try's from now on
		st.xcomDir, st.xcomQuota, mem = warm.xcomDir, warm.xcom, warm.mem
		err = warm.run(runCtx, st, limit, t.Stdin, stdout, stderr)
		warm.closeAfterRun()
	} else {
		if st.xcomDir, err = r.dirs.get(); err != nil {
			return fmt.Errorf("make /xcom: %w", err)
		}
		st.xcomQuota = r.xcomQuota()
		st.xcomQuota.refused, st.xcomQuota.log = &st.quotaRefused, log
		mountQuota, setting := r.cfg.MountQuota, "core.mount_quota"
		if t.MountQuota > 0 {
			mountQuota, setting = t.MountQuota, "the task's mount_quota"
		}
		mounts := &writeQuota{what: "the writable mounts", limit: mountQuota, refused: &st.quotaRefused, log: log, setting: setting}
		fsCfg, closeFS, fsErr := fsConfig(t.Mounts, st.xcomDir, st.xcomQuota, mounts)
		if fsErr != nil {
			r.dirs.put(st.xcomDir, false)
			return fsErr
		}
		mem = newLimitedMemory(limit)
		callCtx := withTryState(experimental.WithMemoryAllocator(runCtx, mem), st)
		start = time.Now()
		err = r.execute(callCtx, c.mod, r.moduleConfig(runCtx, t, fsCfg, stdout, stderr))
		closeFS()
	}
	res.Duration = time.Since(start)
	stdout.flush()
	stderr.flush()
	res.PeakMemoryPages = mem.peakPages()
	res.Calls = st.calls.record()
	if r.closed.Load() {
		os.RemoveAll(st.xcomDir)
		return ErrClosed
	}

	r.classify(res, err, ctx, runCtx, t.Timeout, mem, log)
	r.dirs.put(st.xcomDir, r.collect(res, st.xcomDir, stdout.last, log))
	if res.Reason == ReasonCanceled {
		return context.Cause(ctx)
	}
	return nil
}

// xcomQuota is a try's quota on /xcom; the try sets its refused and log.
func (r *Runner) xcomQuota() *writeQuota {
	return &writeQuota{what: xcomGuestPath, limit: r.cfg.XComQuota,
		setting: fmt.Sprintf("room for %d XComs of %s", r.cfg.MaxXComs, byteSize(int64(r.cfg.MaxXComBytes)))}
}

// execute instantiates the module and calls its _start.
func (r *Runner) execute(ctx context.Context, mod wazero.CompiledModule, cfg wazero.ModuleConfig) error {
	inst, err := r.rt.InstantiateModule(ctx, mod, cfg)
	if err != nil {
		return instantiateError{err}
	}
	// The module may have been closed by the context already; Close is then a no-op.
	defer inst.Close(context.WithoutCancel(ctx))
	_, err = inst.ExportedFunction("_start").Call(ctx)
	return err
}

// instantiateError marks an error from instantiation, before _start: a trap in the module's
// start section, or imports that do not match the host's signatures.
type instantiateError struct{ error }

func (e instantiateError) Unwrap() error { return e.error }

// moduleConfig is the sandbox of one try: argv, env, stdin, stdout/stderr, files and a sleep
// that ends at the try's deadline.
func (r *Runner) moduleConfig(ctx context.Context, t Try, fs wazero.FSConfig, stdout, stderr *streamWriter) wazero.ModuleConfig {
	cfg := r.base.
		WithArgs(append([]string{t.TaskID}, t.Args...)...).
		WithStdin(strings.NewReader(t.Stdin)).
		WithStdout(stdout).
		WithStderr(stderr).
		WithFSConfig(fs).
		WithNanosleep(sleeper(ctx))
	keys := make([]string, 0, len(t.Env))
	for k := range t.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		cfg = cfg.WithEnv(k, t.Env[k])
	}
	return cfg
}

// sleeper is the module's nanosleep (poll_oneoff on a clock, e.g. Go's time.Sleep). wazero's
// own sleep cannot be interrupted, so a module sleeping for an hour would outlive its timeout;
// this one returns at the deadline, and the closed module then stops at its next call.
func sleeper(ctx context.Context) sys.Nanosleep {
	return func(ns int64) {
		if ns <= 0 {
			return
		}
		t := time.NewTimer(time.Duration(ns))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			// End the module here: returning would let it run on past its deadline (a C
			// module's sleep(5) would "finish" and exit 0). wazero turns this panic from a
			// host function into the module's exit.
			code := uint32(sys.ExitCodeContextCanceled)
			if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(context.Cause(ctx), errTimeout) {
				code = sys.ExitCodeDeadlineExceeded
			}
			panic(sys.NewExitError(code))
		}
	}
}

// classify maps how the module ended to a state, an exit code and a reason.
func (r *Runner) classify(res *Result, err error, ctx, runCtx context.Context, timeout time.Duration, mem *limitedMemory, log *tryLog) {
	timedOut := errors.Is(context.Cause(runCtx), errTimeout)
	canceled := !timedOut && ctx.Err() != nil
	var exit *sys.ExitError
	switch {
	case timedOut:
		// However the module ended, it did so after its deadline.
		res.State, res.Reason = StateFailed, ReasonTimeout
		log.note("execution_timeout of %s reached: the module was stopped", timeout)
		return
	case canceled:
		res.State, res.Reason = StateFailed, ReasonCanceled
		log.note("the try was canceled: %v", context.Cause(ctx))
		return
	case err == nil:
		res.ExitCode = 0
	case errors.As(err, &exit) && !(runCtx.Err() != nil && isContextExit(exit.ExitCode())):
		res.ExitCode = int(exit.ExitCode())
	default:
		var ie instantiateError
		if errors.As(err, &ie) && !isTrap(ie.error) {
			res.State, res.Reason = StateFailed, ReasonCompileError+": "+firstLine(err.Error())
			log.note("the module cannot be instantiated: %v", err)
			return
		}
		res.State, res.Reason = StateFailed, ReasonTrap+": "+trapMessage(err)
		log.note("the module trapped: %v", err)
	}
	if res.State == "" {
		switch res.ExitCode {
		case ExitSuccess:
			res.State = StateSuccess
		case ExitSkipped:
			res.State = StateSkipped
			log.note("exit code %d: the task skipped itself", res.ExitCode)
		case ExitSensorNotMet:
			res.State = StateSensorNotMet
			log.note("exit code %d: the sensor's condition is not met yet", res.ExitCode)
		default:
			res.State, res.Reason = StateFailed, fmt.Sprintf("%s %d", ReasonExitCode, res.ExitCode)
			log.note("the module exited with code %d", res.ExitCode)
		}
	}
	// A module that failed after the limit refused it memory failed for lack of memory, however
	// its language reports it (Go exits 2 with "out of memory", C code exits as it sees fit,
	// Rust aborts with a trap).
	if res.State == StateFailed && mem.refusedPages() > 0 {
		res.Reason = ReasonOOM
		log.note("memory limit of %s reached: the module asked for %s", pages(mem.limit/pageSize), pages(uint64(mem.refusedPages())))
	}
}

// collect turns /xcom into the Result's XComs, with the return_value fallback, and fails a try
// that would otherwise pass when an XCom breaks a limit. It reports whether xcomDir is still
// empty and untouched.
func (r *Runner) collect(res *Result, xcomDir string, last *lastLine, log *tryLog) (pristine bool) {
	xcoms, problem, pristine := collectXComs(xcomDir, r.cfg.MaxXComBytes, r.cfg.MaxXComs, log)
	if _, ok := xcoms[ReturnValueKey]; !ok && problem == "" && res.State == StateSuccess {
		if v, n := last.value(); n > r.cfg.MaxXComBytes {
			problem = xcomTooBig(ReturnValueKey, int64(n), r.cfg.MaxXComBytes) +
				" (the last line of stdout; write /xcom/return_value to choose the value)"
		} else if n > 0 {
			xcoms[ReturnValueKey] = slices.Clone(v)
		}
	}
	res.XComs = xcoms
	if problem != "" {
		log.note("%s", problem)
		if res.State != StateFailed {
			res.State, res.Reason = StateFailed, problem
		}
	}
	return pristine
}

// isContextExit reports whether code is wazero's exit code for a closed context.
func isContextExit(code uint32) bool {
	return code == sys.ExitCodeDeadlineExceeded || code == sys.ExitCodeContextCanceled
}

// isTrap reports whether err comes from running wasm code rather than from linking it.
func isTrap(err error) bool {
	s := err.Error()
	return strings.Contains(s, "wasm error: ") || strings.Contains(s, "wasm stack trace:")
}

// trapMessage is the first line of a trap, without wazero's "wasm error: " prefix:
// "unreachable", "integer divide by zero", ...
func trapMessage(err error) string {
	s := firstLine(err.Error())
	if i := strings.Index(s, "wasm error: "); i >= 0 {
		s = s[i+len("wasm error: "):]
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// pages formats a number of 64 KiB pages for people.
func pages(n uint64) string {
	b := n * pageSize
	switch {
	case b >= 1<<30 && b%(1<<30) == 0:
		return fmt.Sprintf("%d GiB (%d pages)", b>>30, n)
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%d MiB (%d pages)", b>>20, n)
	}
	return fmt.Sprintf("%d KiB (%d pages)", b>>10, n)
}

// checkTry reports every problem with the caller's Try at once.
func checkTry(t Try) error {
	var errs []error
	if t.TaskID == "" {
		errs = append(errs, errors.New("empty task id"))
	}
	for _, a := range t.Args {
		if strings.ContainsRune(a, 0) {
			errs = append(errs, fmt.Errorf("argument %q contains NUL", a))
		}
	}
	for k, v := range t.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			errs = append(errs, fmt.Errorf("env %q: a name must be non-empty without '=' or NUL, a value without NUL", k))
		}
	}
	if t.MountQuota < 0 {
		errs = append(errs, fmt.Errorf("negative mount quota %d", t.MountQuota))
	}
	if t.MemoryLimit < 0 {
		errs = append(errs, fmt.Errorf("negative memory limit %d", t.MemoryLimit))
	}
	if t.ModuleSHA256 != "" && !isDigest(t.ModuleSHA256) {
		errs = append(errs, fmt.Errorf("module sha256 %q is not 64 lowercase hex digits", t.ModuleSHA256))
	}
	if t.Timeout < 0 {
		errs = append(errs, fmt.Errorf("negative timeout %s", t.Timeout))
	}
	if err := checkMounts(t.Mounts); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
