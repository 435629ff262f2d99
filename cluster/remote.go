package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// ServerConfig configures a RemoteExecutor: the server's membership, and what it runs itself.
type ServerConfig struct {
	// Node is the server's membership: Name, Bind, Advertise, Secret, Version, and the Queues
	// and Slots it serves itself through Local. Its Role, Handler and OnEvent are the
	// executor's own.
	Node NodeConfig
	// LogsFolder is where tries' logs are written (LogPath), also those run by workers.
	LogsFolder string
	// Local runs tries on the server itself, for Node.Queues (default: DefaultQueue) with
	// Node.Slots at once (default 1 when Local is set). Nil: the server runs none, workers do
	// everything.
	Local *LocalExecutor
	// XCom answers a worker's xcom_pull for a try this process did not submit (one a worker
	// kept running across a server restart). Nil: such pulls find nothing.
	XCom func(key scheduler.TIKey, taskID, xcomKey string) ([]byte, bool)
	// AdoptWithin is how long after a (re)start the scheduler waits for workers to report the
	// tries they kept running, before it fails the rest as lost. Default 15 s: enough for a
	// worker to notice the server is back and greet it (see Worker.rejoin).
	AdoptWithin time.Duration
	Log         *slog.Logger
}

// RemoteExecutor is the scheduler's Executor for a cluster: it sends each try to a live node
// whose queues include the try's queue and has a free slot (the least loaded by used/slots),
// the server itself included when it has a Local executor. Tries for a queue no live node
// serves wait, pending, until one joins (Waiting says why). A worker declared dead by
// memberlist has every try it ran reported failed, "lost: worker <name> died", so the
// scheduler retries them per their retries. Like LocalExecutor, every submitted try gets one
// TryResult; a result a worker sends later for a try already reported lost is passed on too,
// once, and the scheduler refuses it by try number.
type RemoteExecutor struct {
	cfg      ServerConfig
	log      *slog.Logger
	node     *Node
	ch       *channel
	mods     *moduleIndex
	instance string // this process, for workers' hellos

	mu       sync.Mutex
	results  chan<- scheduler.TryResult
	started  bool
	stopping bool
	workers  map[string]*workerSlot
	tries    map[string]*dispatchTry // submitted and not reported: pending, sending or running
	byKey    map[scheduler.TIKey]*dispatchTry
	pending  []*dispatchTry // oldest first
	reasons  map[string]string
	// delivered holds the ids whose worker's result was handed to the scheduler, in two
	// generations rotated every 30 minutes, so a result resent (its acknowledgement lost) is
	// acknowledged again without being delivered twice.
	delivered, deliveredOld map[string]bool
	rotated                 time.Time

	deliverMu sync.RWMutex  // held for reading while sending on results
	closed    bool          // no more sends on results: Stop returned
	quit      chan struct{} // closed first, to free senders blocked on results
	quitOnce  sync.Once

	wake    chan struct{}
	stopBg  chan struct{}
	bg      sync.WaitGroup
	localCh chan scheduler.TryResult
	// fwdStop ends forwardLocal, which closes fwdDone once it passed on all it took: Stop
	// waits for it before it stops delivering, so no local result is dropped in between.
	fwdStop, fwdDone chan struct{}
}

var (
	_ scheduler.Queuer  = (*RemoteExecutor)(nil)
	_ scheduler.Adopter = (*RemoteExecutor)(nil)
)

// QueuesTries implements scheduler.Queuer: a try is queued until a node takes it.
func (*RemoteExecutor) QueuesTries() {}

// AdoptWithin implements scheduler.Adopter.
func (e *RemoteExecutor) AdoptWithin() time.Duration { return e.cfg.AdoptWithin }

// RanHere implements scheduler.InProcess: a try that started on this server's own node ran
// in its process (the Local executor), so one a killed server left running died with it.
func (e *RemoteExecutor) RanHere(host string) bool {
	return e.cfg.Local != nil && host != "" && host == e.node.Name()
}

// dispatchTry is one submitted try as the executor tracks it.
type dispatchTry struct {
	id       string
	w        scheduler.Workload
	key      scheduler.TIKey
	xcom     func(taskID, key string) ([]byte, bool)
	worker   string // "" while pending
	state    tryState
	queuedAt time.Time
	sentAt   time.Time
	killed   bool   // Kill came while it was being sent
	reason   string // why it waits, as last reported to the scheduler
	adopted  bool   // learned from a worker's hello: not submitted by this process
	instance string // the worker process running it (submitResponse.Instance)
}

type tryState int

const (
	tryPending tryState = iota
	trySending
	tryRunning
)

// workerSlot is a node that runs tries, and the executor's count of what it gave it.
type workerSlot struct {
	name      string
	local     bool
	dataAddr  string
	queues    []string
	slots     int
	used      int
	draining  bool
	notBefore time.Time // no sends until then, after a refusal or a failed send
	// unreachable: the last send failed on the network; shown as suspect until one succeeds.
	unreachable bool
	tries       map[string]*dispatchTry
}

func (w *workerSlot) serves(q string) bool { return Meta{Queues: w.queues}.Serves(q) }

// NewRemoteExecutor starts the server's node (its gossip and data channel ports are bound
// here, so a port in use is an error now); Start makes it dispatch.
func NewRemoteExecutor(cfg ServerConfig) (*RemoteExecutor, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.AdoptWithin <= 0 {
		cfg.AdoptWithin = 15 * time.Second
	}
	if cfg.Local != nil {
		if cfg.Node.Slots <= 0 {
			cfg.Node.Slots = 1
		}
		if len(cfg.Node.Queues) == 0 {
			cfg.Node.Queues = []string{DefaultQueue}
		}
	} else {
		cfg.Node.Slots, cfg.Node.Queues = 0, nil
	}
	if cfg.Node.Secret == "" {
		return nil, ErrNoSecret
	}
	e := &RemoteExecutor{cfg: cfg, log: cfg.Log, mods: newModuleIndex(), instance: newID(), workers: map[string]*workerSlot{},
		tries: map[string]*dispatchTry{}, byKey: map[scheduler.TIKey]*dispatchTry{}, reasons: map[string]string{},
		delivered: map[string]bool{}, deliveredOld: map[string]bool{}, rotated: time.Now(),
		wake: make(chan struct{}, 1), stopBg: make(chan struct{}), quit: make(chan struct{}), localCh: make(chan scheduler.TryResult, 1024),
		fwdStop: make(chan struct{}), fwdDone: make(chan struct{})}
	if cfg.Node.Name == "" {
		cfg.Node.Name, _ = os.Hostname()
		e.cfg.Node.Name = cfg.Node.Name
	}
	e.ch = newChannel(cfg.Node.Name, cfg.Node.Secret, e.log)
	mux := http.NewServeMux()
	e.ch.handle(mux, "POST "+pathResults, maxMessageBytes, e.handleResult)
	e.ch.handle(mux, "POST "+pathLogs, maxMessageBytes, e.handleLog)
	e.ch.handle(mux, "POST "+pathXCom, maxMessageBytes, e.handleXCom)
	e.ch.handle(mux, "POST "+pathHello, maxMessageBytes, e.handleHello)
	e.ch.handle(mux, "POST "+pathMembers, maxMessageBytes, e.handleMembers)
	nc := cfg.Node
	nc.Role, nc.Handler, nc.Log, nc.OnEvent = RoleServer, mux, e.log, e.onEvent
	if cfg.Local != nil {
		e.workers[nc.Name] = &workerSlot{name: nc.Name, local: true, queues: nc.Queues, slots: nc.Slots, tries: map[string]*dispatchTry{}}
	}
	var err error
	if e.node, err = StartNode(nc); err != nil {
		return nil, err
	}
	return e, nil
}

// Node is the server's membership.
func (e *RemoteExecutor) Node() *Node { return e.node }

// Start implements scheduler.Executor.
func (e *RemoteExecutor) Start(ctx context.Context, results chan<- scheduler.TryResult) error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return errors.New("the cluster executor is already started")
	}
	e.results, e.started = results, true
	e.mu.Unlock()
	if e.cfg.Local != nil {
		if err := e.cfg.Local.Start(ctx, e.localCh); err != nil {
			return fmt.Errorf("start the server's local executor: %w", err)
		}
		e.bg.Add(1)
		go e.forwardLocal()
	}
	e.bg.Add(1)
	go e.dispatch()
	e.poke()
	return nil
}

// Submit implements scheduler.Executor: the try waits in the executor until a node can take
// it; it never blocks.
func (e *RemoteExecutor) Submit(w scheduler.Workload, xcom func(taskID, key string) ([]byte, bool)) {
	key := w.Key()
	now := time.Now().UTC()
	e.mu.Lock()
	if e.stopping || !e.started {
		e.mu.Unlock()
		// Sent from another goroutine: Submit is called by the loop that reads results.
		go e.deliver(context.Background(), scheduler.TryResult{Key: key, TryNumber: w.TryNumber, State: tasks.StateFailed,
			Reason: "lost: the executor is stopping", StartDate: now, EndDate: now, Interrupted: true})
		return
	}
	t := &dispatchTry{id: newID(), w: w, key: key, xcom: xcom, queuedAt: now}
	e.tries[t.id] = t
	e.byKey[key] = t
	e.pending = append(e.pending, t)
	e.mu.Unlock()
	e.poke()
}

// Kill implements scheduler.Executor: a waiting try ends at once as killed; a running one is
// stopped where it runs and its result says "killed".
func (e *RemoteExecutor) Kill(key scheduler.TIKey, tryNumber int) {
	e.mu.Lock()
	t := e.byKey[key]
	if t == nil || t.w.TryNumber != tryNumber {
		e.mu.Unlock()
		return
	}
	switch {
	case t.state == tryPending:
		e.untrack(t)
		e.mu.Unlock()
		now := time.Now().UTC()
		go e.deliver(context.Background(), scheduler.TryResult{Key: key, TryNumber: tryNumber, State: tasks.StateFailed,
			Reason: "killed", StartDate: t.queuedAt, EndDate: now})
		return
	case t.state == trySending:
		t.killed = true // send kills it once the worker has it
		e.mu.Unlock()
		return
	}
	ws := e.workers[t.worker]
	e.mu.Unlock()
	if ws != nil && ws.local {
		e.cfg.Local.Kill(key, tryNumber)
		return
	}
	go e.sendKill(t)
}

// Stop implements scheduler.Executor: tries still waiting end as lost, running ones go on
// until ctx is done; then they are killed where they run.
func (e *RemoteExecutor) Stop(ctx context.Context) error {
	e.mu.Lock()
	if e.stopping {
		e.mu.Unlock()
		return nil
	}
	e.stopping = true
	waiting := e.pending
	e.pending = nil // before untrack, which would otherwise remove each from under us
	for _, t := range waiting {
		e.untrack(t)
	}
	e.mu.Unlock()
	now := time.Now().UTC()
	for _, t := range waiting {
		e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateFailed,
			Reason: "lost: the executor stopped before a node took it", StartDate: t.queuedAt, EndDate: now, Interrupted: true})
	}
	localDone := make(chan error, 1)
	if e.cfg.Local != nil && e.isStarted() {
		go func() { localDone <- e.cfg.Local.Stop(ctx) }()
	} else {
		localDone <- nil
	}
	var err error
	if !e.waitRemote(ctx) {
		err = ctx.Err()
		e.killRemote()
	}
	if lerr := <-localDone; err == nil {
		err = lerr
	}
	if e.cfg.Local != nil && e.isStarted() {
		close(e.fwdStop)
		<-e.fwdDone
	}
	// The local executor has sent all its results; pass on any not forwarded yet.
	for drained := false; !drained; {
		select {
		case res := <-e.localCh:
			e.forwardLocalResult(res)
		default:
			drained = true
		}
	}
	e.closeResults()
	close(e.stopBg)
	e.bg.Wait()
	e.ch.close()
	if lerr := e.node.Leave(time.Second); lerr != nil {
		// Harmless: the others find the server gone by probing instead.
		e.log.Info("leave the cluster", "err", lerr)
	}
	return err
}

// Close stops the server's node at once, as a crash would (tests).
func (e *RemoteExecutor) Close() error {
	e.closeResults()
	e.mu.Lock()
	stopped := e.stopping
	e.stopping = true
	e.mu.Unlock()
	if !stopped {
		close(e.stopBg)
	}
	e.bg.Wait()
	e.ch.close()
	return e.node.Close()
}

func (e *RemoteExecutor) isStopping() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stopping
}

func (e *RemoteExecutor) isStarted() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.started
}

// waitRemote waits until no try runs on a worker, or ctx is done (false).
func (e *RemoteExecutor) waitRemote(ctx context.Context) bool {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if e.remoteRunning() == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

func (e *RemoteExecutor) remoteRunning() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, t := range e.tries {
		if ws := e.workers[t.worker]; t.worker != "" && (ws == nil || !ws.local) {
			n++
		}
	}
	return n
}

// killRemote kills the tries still running on workers, waits a little for their results,
// and reports those that do not come as killed.
func (e *RemoteExecutor) killRemote() {
	e.mu.Lock()
	var left []*dispatchTry
	for _, t := range e.tries {
		if ws := e.workers[t.worker]; t.worker != "" && (ws == nil || !ws.local) {
			left = append(left, t)
		}
	}
	e.mu.Unlock()
	var wg sync.WaitGroup
	for _, t := range left {
		wg.Add(1)
		go func() { defer wg.Done(); e.sendKill(t) }()
	}
	wg.Wait()
	deadline, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	e.waitRemote(deadline)
	cancel()
	e.mu.Lock()
	var gone []*dispatchTry
	for _, t := range left {
		if e.tries[t.id] == t {
			e.untrack(t)
			gone = append(gone, t)
		}
	}
	e.mu.Unlock()
	now := time.Now().UTC()
	for _, t := range gone {
		e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateFailed,
			Reason: "killed: the server stopped while worker " + t.worker + " ran it", StartDate: t.sentAt, EndDate: now, Hostname: t.worker,
			Interrupted: true})
	}
}

// deliver hands a result to the scheduler; false if the executor has stopped or ctx ended first.
func (e *RemoteExecutor) deliver(ctx context.Context, res scheduler.TryResult) bool {
	if res.State == tasks.StateFailed && strings.HasPrefix(res.Reason, "killed") && e.isStopping() {
		// A worker's try killed because this server stops (its grace ended): not the task's
		// doing, so it runs again at the next start without using a retry.
		res.Interrupted = true
	}
	e.deliverMu.RLock()
	defer e.deliverMu.RUnlock()
	if e.closed || e.results == nil {
		return false
	}
	select {
	case e.results <- res:
		return true
	case <-ctx.Done():
		return false
	case <-e.quit:
		return false
	}
}

// closeResults ends every send on results, for good.
func (e *RemoteExecutor) closeResults() {
	e.quitOnce.Do(func() { close(e.quit) })
	e.deliverMu.Lock()
	e.closed = true
	e.deliverMu.Unlock()
}

func (e *RemoteExecutor) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}
