package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	wfruntime "github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
	"github.com/wasmflow/wasmflow/tasks/operators"
)

// WorkerConfig configures a Worker: what `wasmflow worker` runs.
type WorkerConfig struct {
	// Node is the worker's membership: Name, Bind, Advertise, Secret, Queues, Slots, Version.
	// Its Role, Handler and OnEvent are the worker's own. Slots defaults to the number of CPUs.
	Node NodeConfig
	// Join are the seeds to join, "host[:port]": the server's cluster address.
	Join []string
	// JoinTimeout is how long Start tries to reach a seed. Default 30 s.
	JoinTimeout time.Duration
	// CacheDir holds the modules received (modules/) and their compiled code (compiled/).
	// Default: wasmflow-worker-<name> in the user's cache folder.
	CacheDir string
	// Runner runs the tries; default: one made on CacheDir/compiled, closed with the worker,
	// with MaxTaskMemory and MountQuota.
	Runner *wfruntime.Runner
	// MaxTaskMemory caps the memory limits of the tries this worker runs at once, added up
	// (core.max_task_memory); 0: half of the machine's memory. A try that does not fit waits
	// on the worker, in its slot, until memory frees. MountQuota is core.mount_quota.
	MaxTaskMemory, MountQuota int64
	// Grace is how long Run lets running tries finish once asked to stop (SIGTERM) before it
	// kills them. Default 60 s.
	Grace time.Duration
	// FlushTimeout is how long Stop keeps trying to hand held results to the server before it
	// leaves anyway. Default 10 s.
	FlushTimeout time.Duration
	Log          *slog.Logger
}

// Worker joins a cluster, takes tries from its server over the data channel, runs them, streams
// their logs and sends their results, holding each result until the server acknowledges it.
type Worker struct {
	cfg     WorkerConfig
	log     *slog.Logger
	node    *Node
	ch      *channel
	runner  *wfruntime.Runner
	ownRun  bool
	modules *moduleCache
	// instance identifies this process to the server, which fails as lost the tries another
	// process of this worker's name took (see helloMessage.Instance).
	instance string

	ctx    context.Context // the tries' parent: ended by Stop or Close, not by Run's ctx
	cancel context.CancelFunc

	mu       sync.Mutex
	running  map[string]*workerTry
	draining bool
	outbox   map[string]*heldResult
	seq      int
	// The server last told which tries run here: its name and data address, its process
	// (helloResponse.Instance), and when.
	helloTo, helloInstance string
	helloAt                time.Time

	tries    sync.WaitGroup
	bg       sync.WaitGroup
	stopBg   chan struct{}
	wakeOut  chan struct{}
	stopOnce sync.Once
}

type workerTry struct {
	id     string
	key    scheduler.TIKey
	try    int
	queue  string
	cancel context.CancelCauseFunc
}

type heldResult struct {
	seq int
	msg resultMessage
}

// NewWorker binds the worker's ports and prepares its cache; Start joins the cluster.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Node.Name == "" {
		cfg.Node.Name, _ = os.Hostname()
	}
	if cfg.Node.Slots <= 0 {
		cfg.Node.Slots = runtime.NumCPU()
	}
	if len(cfg.Node.Queues) == 0 {
		cfg.Node.Queues = []string{DefaultQueue}
	}
	if cfg.JoinTimeout <= 0 {
		cfg.JoinTimeout = 30 * time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 60 * time.Second
	}
	if cfg.FlushTimeout <= 0 {
		cfg.FlushTimeout = 10 * time.Second
	}
	if cfg.CacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		cfg.CacheDir = filepath.Join(base, "wasmflow-worker-"+safe(cfg.Node.Name))
	}
	if cfg.Node.Secret == "" {
		return nil, ErrNoSecret
	}
	w := &Worker{cfg: cfg, log: cfg.Log.With("worker", cfg.Node.Name), instance: newID(), running: map[string]*workerTry{}, outbox: map[string]*heldResult{},
		stopBg: make(chan struct{}), wakeOut: make(chan struct{}, 1)}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	var err error
	if w.modules, err = newModuleCache(filepath.Join(cfg.CacheDir, "modules")); err != nil {
		return nil, err
	}
	w.runner = cfg.Runner
	if w.runner == nil {
		scratch := filepath.Join(cfg.CacheDir, "tmp") // the tries' /xcom, swept at the next start after a crash
		if err := os.MkdirAll(scratch, 0o700); err != nil {
			return nil, fmt.Errorf("start the task runtime: %w", err)
		}
		w.runner, err = wfruntime.New(context.Background(), wfruntime.Config{CacheDir: filepath.Join(cfg.CacheDir, "compiled"), Hostname: cfg.Node.Name,
			MaxTaskMemory: cfg.MaxTaskMemory, MountQuota: cfg.MountQuota, TempDir: scratch,
			Pooled: operators.PooledDigests()}) // warm instances of `operator: script`'s module
		if err != nil {
			return nil, fmt.Errorf("start the task runtime: %w", err)
		}
		w.ownRun = true
	}
	w.ch = newChannel(cfg.Node.Name, cfg.Node.Secret, w.log)
	mux := http.NewServeMux()
	w.ch.handle(mux, "POST "+pathTries, maxMessageBytes, w.handleSubmit)
	w.ch.handle(mux, "PUT "+pathModules+"{sha}", maxModuleBytes, w.handleModule)
	w.ch.handle(mux, "POST "+pathKill, maxMessageBytes, w.handleKill)
	nc := cfg.Node
	nc.Role, nc.Handler, nc.Log = RoleWorker, mux, w.log
	nc.OnEvent = func(ev MemberEvent) {
		if ev.Member.Role == RoleServer {
			w.kick()
		}
	}
	if w.node, err = StartNode(nc); err != nil {
		if w.ownRun {
			w.runner.Close(context.Background())
		}
		return nil, err
	}
	return w, nil
}

// Node is the worker's membership.
func (w *Worker) Node() *Node { return w.node }

// Start joins the cluster through the configured seeds and starts delivering results.
func (w *Worker) Start(ctx context.Context) error {
	jctx, cancel := context.WithTimeoutCause(ctx, w.cfg.JoinTimeout, fmt.Errorf("no seed answered within %s", w.cfg.JoinTimeout))
	defer cancel()
	if err := w.node.Join(jctx, w.cfg.Join); err != nil {
		return err
	}
	w.bg.Add(2)
	go w.deliver()
	go w.rejoin()
	w.log.Info("joined the cluster", "seeds", w.cfg.Join, "queues", w.cfg.Node.Queues, "slots", w.cfg.Node.Slots)
	return nil
}

// Run joins, works until ctx is done (SIGTERM), then drains: no new tries, running ones get
// Grace to finish, held results are handed over, and the worker leaves the cluster.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.Start(ctx); err != nil {
		w.Close()
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), w.cfg.Grace)
	defer cancel()
	return w.Stop(sctx)
}

// Stop drains the worker: it takes no new tries, lets running ones finish until ctx is done
// and kills the rest (their results say "killed"), hands every held result to the server (for
// up to FlushTimeout), then leaves the cluster.
func (w *Worker) Stop(ctx context.Context) error {
	w.mu.Lock()
	w.draining = true
	n := len(w.running)
	w.mu.Unlock()
	w.node.UpdateMetaNow(func(m *Meta) { m.Draining = true })
	w.log.Info("draining", "running", n)
	done := make(chan struct{})
	go func() { w.tries.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		w.mu.Lock()
		for _, t := range w.running {
			t.cancel(errKilled)
		}
		w.mu.Unlock()
		<-done
	}
	flush := time.NewTimer(w.cfg.FlushTimeout)
	defer flush.Stop()
	for w.held() > 0 {
		w.kick()
		select {
		case <-flush.C:
		case <-time.After(50 * time.Millisecond):
			continue
		}
		break
	}
	lost := w.held()
	w.shutdown()
	if err := w.node.Leave(2 * time.Second); err != nil {
		// Harmless (no one left to tell, say): the others find the worker gone by probing.
		w.log.Info("leave the cluster", "err", err)
	}
	if lost > 0 {
		return fmt.Errorf("%d result(s) could not be handed to the server within %s; those tries will be retried", lost, w.cfg.FlushTimeout)
	}
	return nil
}

// Close stops the worker at once, as a crash would: tries are abandoned, results held are
// dropped, and the cluster finds the node dead.
func (w *Worker) Close() error {
	w.shutdown()
	return w.node.Close()
}

func (w *Worker) shutdown() {
	w.stopOnce.Do(func() {
		close(w.stopBg)
		w.cancel()
		w.bg.Wait()
		w.tries.Wait()
		w.ch.close()
		if w.ownRun {
			w.runner.Close(context.Background())
		}
	})
}

func (w *Worker) held() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.outbox)
}

func (w *Worker) kick() {
	select {
	case w.wakeOut <- struct{}{}:
	default:
	}
}

// handleSubmit takes a try, or says why not: the module is missing, the worker is draining or
// full. The same try sent twice (an answer lost on the way) is accepted once.
func (w *Worker) handleSubmit(_ *http.Request, body []byte) (int, any) {
	status, out := w.submit(body)
	if resp, ok := out.(submitResponse); ok {
		resp.Instance = w.instance
		return status, resp
	}
	return status, out
}

func (w *Worker) submit(body []byte) (int, any) {
	var req submitRequest
	if status, out := decode(body, &req); status != 0 {
		return status, out
	}
	w.mu.Lock()
	_, running := w.running[req.ID]
	_, held := w.outbox[req.ID]
	draining, full := w.draining, len(w.running) >= w.cfg.Node.Slots
	w.mu.Unlock()
	switch {
	case running || held:
		return http.StatusOK, submitResponse{Status: submitAccepted}
	case draining:
		return http.StatusOK, submitResponse{Status: submitRefused, Reason: "draining"}
	case full:
		return http.StatusOK, submitResponse{Status: submitRefused, Reason: "full"}
	}
	if !w.modules.has(req.ModuleSHA256) {
		return http.StatusOK, submitResponse{Status: submitNeedModule, SHA256: req.ModuleSHA256}
	}
	module, err := w.modules.get(req.ModuleSHA256)
	if err != nil {
		w.log.Warn("cached module unusable", "sha256", req.ModuleSHA256, "err", err)
		return http.StatusOK, submitResponse{Status: submitNeedModule, SHA256: req.ModuleSHA256}
	}
	wl := req.Workload
	t := &workerTry{id: req.ID, key: wl.Key(), try: wl.TryNumber, queue: wl.Queue}
	wl.Connections = req.Connections
	ctx, cancel := context.WithCancelCause(w.ctx)
	t.cancel = cancel
	w.mu.Lock()
	if w.draining || len(w.running) >= w.cfg.Node.Slots {
		w.mu.Unlock()
		cancel(nil)
		return http.StatusOK, submitResponse{Status: submitRefused, Reason: "full"}
	}
	w.running[t.id] = t
	used := len(w.running)
	w.tries.Add(1)
	w.mu.Unlock()
	w.node.UpdateMeta(func(m *Meta) { m.Used = used })
	go w.run(ctx, t, wl, module, req.ModuleSHA256)
	return http.StatusOK, submitResponse{Status: submitAccepted}
}

func (w *Worker) handleModule(r *http.Request, body []byte) (int, any) {
	sha := r.PathValue("sha")
	if err := w.modules.put(sha, body); err != nil {
		w.log.Warn("refused a module", "sha256", sha, "err", err)
		return http.StatusBadRequest, errorBody{err.Error()}
	}
	w.log.Debug("cached a module", "sha256", sha, "bytes", len(body))
	return http.StatusOK, struct{}{}
}

func (w *Worker) handleKill(_ *http.Request, body []byte) (int, any) {
	var req killRequest
	if status, out := decode(body, &req); status != 0 {
		return status, out
	}
	w.mu.Lock()
	if t, ok := w.running[req.ID]; ok {
		t.cancel(errKilled)
	}
	w.mu.Unlock()
	return http.StatusOK, struct{}{}
}

// run runs one try and holds its result for delivery.
func (w *Worker) run(ctx context.Context, t *workerTry, wl scheduler.Workload, module []byte, sha string) {
	defer w.tries.Done()
	ship := newLogShipper(w, t)
	res := w.execute(ctx, t, wl, module, sha, ship)
	tail := ship.close()
	t.cancel(nil)
	w.mu.Lock()
	delete(w.running, t.id)
	used := len(w.running)
	w.seq++
	w.outbox[t.id] = &heldResult{seq: w.seq, msg: resultMessage{ID: t.id, Worker: w.cfg.Node.Name, Result: res, Log: tail}}
	w.mu.Unlock()
	w.node.UpdateMeta(func(m *Meta) { m.Used = used })
	w.kick()
}

// execute is LocalExecutor.run for a workload whose module came over the wire: mounts are
// this machine's folders at the same paths (made if missing), inside the same roots.
func (w *Worker) execute(ctx context.Context, t *workerTry, wl scheduler.Workload, module []byte, sha string, log *logShipper) scheduler.TryResult {
	out := scheduler.TryResult{Key: t.key, TryNumber: t.try, StartDate: time.Now().UTC(), Hostname: w.cfg.Node.Name, ModuleSHA256: sha}
	fail := func(reason string) scheduler.TryResult {
		fmt.Fprintf(log, "[wasmflow] %s\n", reason)
		out.State, out.Reason, out.EndDate = tasks.StateFailed, reason, time.Now().UTC()
		return out
	}
	// The server checked the mounts against its folders; this machine's links may lead
	// elsewhere, so they are checked again here, before anything is created.
	wl.Mounts = append([]scheduler.Mount(nil), wl.Mounts...)
	if err := scheduler.PrepareMounts(wl.MountRoots, wl.Mounts); err != nil {
		return fail(fmt.Sprintf("on worker %s: %v", w.cfg.Node.Name, err))
	}
	tr := Try(wl, module, log, func(taskID, key string) ([]byte, bool) { return w.pullXCom(t, taskID, key) })
	tr.ModuleSHA256 = sha
	// The server counts the try running once this worker took it; while it waits for memory
	// here (core.max_task_memory) its log says so, and its time starts when it does.
	tr.Waiting = func(why string) { fmt.Fprintf(log, "[wasmflow] %s\n", why) }
	tr.Admitted = func() { out.StartDate = time.Now().UTC() }
	res, err := w.runner.Run(ctx, tr)
	if err != nil && res.State == "" {
		return fail(err.Error())
	}
	return resultOf(ctx, out, res)
}

// resultOf fills a TryResult from the runtime's Result, as LocalExecutor does.
// resultOf turns the runtime's result of a try into the scheduler's, for the local executor
// and for workers alike.
func resultOf(ctx context.Context, out scheduler.TryResult, res wfruntime.Result) scheduler.TryResult {
	out.EndDate = out.StartDate.Add(res.Duration)
	if out.EndDate.Before(out.StartDate) || res.Duration == 0 {
		out.EndDate = time.Now().UTC()
	}
	if res.Hostname != "" {
		out.Hostname = res.Hostname
	}
	if res.ModuleSHA256 != "" {
		out.ModuleSHA256 = res.ModuleSHA256
	}
	out.XComs, out.Reason = res.XComs, res.Reason
	out.Calls = Calls(res.Calls)
	if res.ExitCode >= 0 {
		code := res.ExitCode
		out.ExitCode = &code
	}
	switch res.State {
	case wfruntime.StateSuccess:
		out.State = tasks.StateSuccess
	case wfruntime.StateSkipped:
		out.State = tasks.StateSkipped
	case wfruntime.StateSensorNotMet:
		out.State = tasks.StateUpForReschedule
	default:
		out.State = tasks.StateFailed
		switch context.Cause(ctx) {
		case errKilled:
			out.Reason = "killed"
		case errStopped:
			out.Reason, out.Interrupted = errStopped.Error(), true
		}
	}
	return out
}

// pullXCom asks the server for an XCom of the try's DagRun (wasmflow.xcom_pull).
func (w *Worker) pullXCom(t *workerTry, taskID, key string) ([]byte, bool) {
	srv, ok := w.node.Server()
	if !ok {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	var resp xcomResponse
	if err := w.ch.call(ctx, srv.DataAddress, pathXCom, xcomRequest{ID: t.id, Key: t.key, TaskID: taskID, XKey: key}, &resp); err != nil {
		w.log.Warn("xcom_pull", "dag_id", t.key.DagID, "run_id", t.key.RunID, "task_id", t.key.TaskID, "try", t.try, "err", err)
		return nil, false
	}
	return resp.Value, resp.Found
}

// deliver hands held results to the server, oldest first, until each is acknowledged. When
// it finds a server it has not greeted (a restarted one), it first tells it which tries run
// here, so the server counts their slots.
func (w *Worker) deliver() {
	defer w.bg.Done()
	backoff := 100 * time.Millisecond
	var failing, lastJoin time.Time // since when the server does not answer; last rejoin
	fail := func() {
		backoff = min(2*backoff, 2*time.Second)
		now := time.Now()
		if failing.IsZero() {
			failing = now
		}
		// Gossip says the server is alive but its data channel does not answer: a server that
		// restarted on the same address answers probes for its name, yet nobody told it about
		// us, nor us its new data address. Joining the seeds again swaps full state with it.
		if now.Sub(failing) > 2*time.Second && now.Sub(lastJoin) > 2*time.Second {
			lastJoin = now
			if err := w.node.JoinOnce(w.cfg.Join); err != nil {
				w.log.Debug("rejoin the cluster", "err", err)
			}
		}
	}
	for {
		select {
		case <-w.stopBg:
			return
		case <-w.wakeOut:
		case <-time.After(backoff):
		}
		srv, ok := w.node.Server()
		if !ok || srv.DataAddress == "" {
			backoff = 250 * time.Millisecond
			continue
		}
		if err := w.greet(srv); err != nil {
			w.log.Debug("greet the server", "server", srv.Name, "err", err)
			fail()
			continue
		}
		w.mu.Lock()
		held := make([]*heldResult, 0, len(w.outbox))
		for _, h := range w.outbox {
			held = append(held, h)
		}
		w.mu.Unlock()
		sort.Slice(held, func(i, j int) bool { return held[i].seq < held[j].seq })
		failed := false
		for _, h := range held {
			ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
			err := w.ch.call(ctx, srv.DataAddress, pathResults, h.msg, nil)
			cancel()
			if err != nil {
				if w.ctx.Err() != nil {
					return
				}
				w.log.Debug("hand a result to the server; holding it", "server", srv.Name, "id", h.msg.ID, "err", err)
				failed = true
				break
			}
			w.mu.Lock()
			delete(w.outbox, h.msg.ID)
			w.mu.Unlock()
		}
		if failed {
			fail()
		} else {
			backoff, failing = 250*time.Millisecond, time.Time{}
		}
	}
}

// helloEvery is how often a worker greets a server again: a server restarted on the same
// addresses (cluster.bind and the next port, under the same name) cannot be told from the one
// before but by asking, and must learn within its AdoptWithin which tries still run here.
const helloEvery = 2 * time.Second

// greet sends hello to a server met for the first time, and again every helloEvery: a new
// process there (its Instance changed) gets the tries running here, to adopt them.
func (w *Worker) greet(srv Member) error {
	id := srv.Name + "@" + srv.DataAddress
	w.mu.Lock()
	if w.helloTo == id && time.Since(w.helloAt) < helloEvery {
		w.mu.Unlock()
		return nil
	}
	msg := helloMessage{Worker: w.cfg.Node.Name, Instance: w.instance, DataAddr: w.node.DataAddress()}
	if w.helloTo == id {
		msg.Greeted = w.helloInstance
	}
	for _, t := range w.running {
		msg.Running = append(msg.Running, runningTry{ID: t.id, Key: t.key, TryNumber: t.try, Queue: t.queue})
	}
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(w.ctx, 5*time.Second)
	defer cancel()
	var resp helloResponse
	if err := w.ch.call(ctx, srv.DataAddress, pathHello, msg, &resp); err != nil {
		return err
	}
	w.mu.Lock()
	if w.helloInstance != "" && resp.Instance != w.helloInstance {
		w.log.Info("greeted a new server process", "server", srv.Name, "running", len(msg.Running))
	}
	w.helloTo, w.helloInstance, w.helloAt = id, resp.Instance, time.Now()
	w.mu.Unlock()
	return nil
}

// rejoin joins the seeds again while no server is alive: a server that restarted knows no
// workers until they come back to it.
func (w *Worker) rejoin() {
	defer w.bg.Done()
	for {
		select {
		case <-w.stopBg:
			return
		case <-time.After(time.Second):
		}
		if _, ok := w.node.Server(); ok {
			continue
		}
		if err := w.node.JoinOnce(w.cfg.Join); err != nil {
			w.log.Debug("rejoin the cluster", "err", err)
		} else {
			w.log.Info("rejoined the cluster")
		}
	}
}

// logShipper streams a try's log to the server, about every 100 ms. What cannot be sent (the
// server is away) is held, up to 1 MiB, and goes with the result.
type logShipper struct {
	w    *Worker
	t    *workerTry
	mu   sync.Mutex
	buf  []byte
	drop int
	next time.Time // no send before this, after a failure
	stop chan struct{}
	done chan struct{}
}

const maxHeldLog = 1 << 20

func newLogShipper(w *Worker, t *workerTry) *logShipper {
	s := &logShipper{w: w, t: t, stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *logShipper) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf)+len(p) > maxHeldLog {
		s.drop += len(p)
		return len(p), nil
	}
	s.buf = append(s.buf, p...)
	return len(p), nil
}

func (s *logShipper) loop() {
	defer close(s.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.flush(false)
		}
	}
}

// flush sends what is buffered; with final, it tries even right after a failure.
func (s *logShipper) flush(final bool) {
	s.mu.Lock()
	if len(s.buf) == 0 || (!final && time.Now().Before(s.next)) {
		s.mu.Unlock()
		return
	}
	data := s.buf
	s.buf = nil
	s.mu.Unlock()
	err := errors.New("no server")
	if srv, ok := s.w.node.Server(); ok {
		ctx, cancel := context.WithTimeout(s.w.ctx, 5*time.Second)
		err = s.w.ch.call(ctx, srv.DataAddress, pathLogs, logMessage{ID: s.t.id, Key: s.t.key, TryNumber: s.t.try, Data: data}, nil)
		cancel()
	}
	if err != nil {
		s.mu.Lock()
		s.buf = append(data, s.buf...)
		s.next = time.Now().Add(time.Second)
		s.mu.Unlock()
	}
}

// close stops streaming after one last send and returns what is still unsent.
func (s *logShipper) close() []byte {
	close(s.stop)
	<-s.done
	s.flush(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drop > 0 {
		s.buf = append(s.buf, fmt.Sprintf("[wasmflow] %d bytes of log dropped: the server could not be reached\n", s.drop)...)
	}
	return s.buf
}
