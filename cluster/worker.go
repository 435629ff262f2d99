package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	wfruntime "github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
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
