package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// untrack forgets a try and frees its slot. e.mu is held.
func (e *RemoteExecutor) untrack(t *dispatchTry) {
	delete(e.tries, t.id)
	if e.byKey[t.key] == t {
		delete(e.byKey, t.key)
	}
	if t.state == tryPending {
		for i, p := range e.pending {
			if p == t {
				e.pending = append(e.pending[:i], e.pending[i+1:]...)
				break
			}
		}
	}
	if ws := e.workers[t.worker]; ws != nil && ws.tries[t.id] == t {
		delete(ws.tries, t.id)
		ws.used--
		if ws.local {
			e.gossipLocalUse(ws.used)
		}
	}
	t.worker = ""
	e.poke()
}

func (e *RemoteExecutor) gossipLocalUse(used int) {
	e.node.UpdateMeta(func(m *Meta) { m.Used = used })
}

// dispatch gives waiting tries to nodes whenever something changes (a submit, a freed slot, a
// member), and every 250 ms for nodes in back-off.
func (e *RemoteExecutor) dispatch() {
	defer e.bg.Done()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-e.stopBg:
			return
		case <-e.wake:
		case <-tick.C:
		}
		e.mu.Lock()
		batch := e.assign(time.Now())
		waits := e.newReasons()
		e.mu.Unlock()
		for _, t := range batch {
			go e.send(t)
		}
		if len(waits) > 0 {
			go func() {
				for _, res := range waits {
					e.deliver(context.Background(), res)
				}
			}()
		}
	}
}

// assign picks a node for every waiting try that one can take now, oldest first. e.mu is held.
func (e *RemoteExecutor) assign(now time.Time) []*dispatchTry {
	if e.stopping {
		return nil
	}
	var out []*dispatchTry
	full := map[string]bool{} // queues with no free node in this pass
	kept := e.pending[:0]
	for _, t := range e.pending {
		q := queueOf(t.w.Queue)
		var ws *workerSlot
		if !full[q] {
			ws = e.pick(q, now)
		}
		if ws == nil {
			full[q] = true
			kept = append(kept, t)
			continue
		}
		t.worker, t.state = ws.name, trySending
		ws.used++
		ws.tries[t.id] = t
		if ws.local {
			e.gossipLocalUse(ws.used)
		}
		out = append(out, t)
	}
	clear(e.pending[len(kept):])
	e.pending = kept
	clear(e.reasons)
	for q := range full {
		e.reasons[q] = e.whyWaiting(q, now)
	}
	return out
}

// newReasons reports why each waiting try waits, to the scheduler, when that changed since it
// last said. e.mu is held.
func (e *RemoteExecutor) newReasons() []scheduler.TryResult {
	var out []scheduler.TryResult
	for _, t := range e.pending {
		if r := e.reasons[queueOf(t.w.Queue)]; r != "" && r != t.reason {
			t.reason = r
			out = append(out, scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateQueued, Reason: r})
		}
	}
	return out
}

// reportStarted tells the scheduler a try began on a node.
func (e *RemoteExecutor) reportStarted(t *dispatchTry, node string, at time.Time) {
	e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateRunning, Hostname: node, StartDate: at})
}

// pick is the node serving q with a free slot and the lowest share of its slots in use.
func (e *RemoteExecutor) pick(q string, now time.Time) *workerSlot {
	var best *workerSlot
	for _, ws := range e.workers {
		if ws.draining || ws.used >= ws.slots || now.Before(ws.notBefore) || !ws.serves(q) {
			continue
		}
		if best == nil {
			best = ws
			continue
		}
		a, b := ws.used*best.slots, best.used*ws.slots // ws.used/ws.slots vs best.used/best.slots
		if a < b || a == b && (ws.used < best.used || ws.used == best.used && ws.name < best.name) {
			best = ws
		}
	}
	return best
}

// whyWaiting says why tries of queue q wait. e.mu is held.
func (e *RemoteExecutor) whyWaiting(q string, now time.Time) string {
	serving, used, slots, backoff := 0, 0, 0, 0
	for _, ws := range e.workers {
		if !ws.serves(q) || ws.draining {
			continue
		}
		serving++
		used += ws.used
		slots += ws.slots
		if now.Before(ws.notBefore) {
			backoff++
		}
	}
	switch {
	case serving == 0:
		return fmt.Sprintf("no live worker serves queue %q: start one with `wasmflow worker --join ... --queues %s`", q, q)
	case used >= slots:
		return fmt.Sprintf("waiting for a free slot: every node serving queue %q is busy (%d slots)", q, slots)
	default:
		return fmt.Sprintf("the %d node(s) serving queue %q with free slots did not answer or refused; trying again", backoff, q)
	}
}

func queueOf(q string) string {
	if q == "" {
		return DefaultQueue
	}
	return q
}

// send hands one assigned try to its node: the local executor, or a worker over the data
// channel, with the module's bytes when the worker asks for them.
func (e *RemoteExecutor) send(t *dispatchTry) {
	e.mu.Lock()
	ws := e.workers[t.worker]
	if ws == nil || e.tries[t.id] != t {
		e.mu.Unlock()
		return
	}
	name, local, addr := ws.name, ws.local, ws.dataAddr
	if local && e.stopping {
		// The local executor may have stopped already: its "lost" answer could come after
		// Stop forwarded the last local result, and be dropped. Answer here instead.
		e.untrack(t)
		e.mu.Unlock()
		now := time.Now().UTC()
		e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateFailed,
			Reason: "lost: the executor stopped before it started", StartDate: now, EndDate: now, Interrupted: true})
		return
	}
	if local {
		// The local executor reports the try started itself, once the runtime admits it (it
		// may wait for memory first): see forwardLocalResult.
		t.state, t.sentAt = tryRunning, time.Now().UTC()
		killed := t.killed
		e.mu.Unlock()
		e.cfg.Local.Submit(t.w, t.xcom)
		if killed {
			e.cfg.Local.Kill(t.key, t.w.TryNumber)
		}
		return
	}
	e.mu.Unlock()

	sha, err := e.mods.digest(t.w.ModulePath)
	if err != nil {
		e.fail(t, fmt.Sprintf("read module of %s.%s: %v", t.w.DagID, t.w.TaskID, err))
		return
	}
	if f, err := openLog(LogPath(e.cfg.LogsFolder, t.key, t.w.TryNumber)); err == nil {
		f.Close()
	}
	req := submitRequest{ID: t.id, Server: e.node.Name(), ModuleSHA256: sha, Workload: t.w, Connections: t.w.Connections}
	for attempt := 0; attempt < 3; attempt++ {
		var resp submitResponse
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := e.ch.call(ctx, addr, pathTries, req, &resp)
		cancel()
		e.mu.Lock()
		if ws := e.workers[name]; ws != nil {
			var se *StatusError
			ws.unreachable = err != nil && !errors.As(err, &se)
		}
		e.mu.Unlock()
		if err != nil {
			e.log.Warn("send a try to a worker; another will take it", "worker", name, "dag_id", t.key.DagID, "run_id", t.key.RunID,
				"task_id", t.key.TaskID, "try", t.w.TryNumber, "err", err)
			e.requeue(t, name, time.Second, false)
			return
		}
		switch resp.Status {
		case submitAccepted:
			e.mu.Lock()
			if e.tries[t.id] != t || t.worker != name {
				e.mu.Unlock()
				return // its worker died meanwhile: already handled
			}
			t.state, t.sentAt, t.instance = tryRunning, time.Now().UTC(), resp.Instance
			killed, at := t.killed, t.sentAt
			gone := e.restarted(name, resp.Instance)
			e.mu.Unlock()
			e.reportLost(gone, name, "restarted")
			e.reportStarted(t, name, at)
			if killed {
				e.sendKill(t)
			}
			return
		case submitNeedModule:
			data, now, err := e.mods.read(t.w.ModulePath)
			if err != nil {
				e.fail(t, fmt.Sprintf("read module of %s.%s: %v", t.w.DagID, t.w.TaskID, err))
				return
			}
			if now != req.ModuleSHA256 { // the file changed since: offer the new one
				req.ModuleSHA256 = now
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			status, body, err := e.ch.do(ctx, http.MethodPut, addr, pathModules+now, data)
			cancel()
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("%d: %s", status, body)
			}
			if err != nil {
				e.log.Warn("send a module to a worker", "worker", name, "sha256", now, "err", err)
				e.requeue(t, name, time.Second, false)
				return
			}
			e.log.Debug("sent a module to a worker", "worker", name, "sha256", now, "bytes", len(data))
		case submitRefused:
			e.requeue(t, name, 500*time.Millisecond, resp.Reason == "draining")
			return
		default:
			e.requeue(t, name, time.Second, false)
			return
		}
	}
	e.requeue(t, name, time.Second, false)
}

// requeue puts a try its node did not take back at the head of the line, and keeps the node
// out of dispatch for a while.
func (e *RemoteExecutor) requeue(t *dispatchTry, worker string, backoff time.Duration, draining bool) {
	e.mu.Lock()
	if e.tries[t.id] != t || t.worker != worker {
		e.mu.Unlock()
		return
	}
	if ws := e.workers[worker]; ws != nil {
		ws.notBefore = time.Now().Add(backoff)
		ws.draining = ws.draining || draining
		if ws.tries[t.id] == t {
			delete(ws.tries, t.id)
			ws.used--
		}
	}
	t.worker, t.state = "", tryPending
	if t.killed || e.stopping {
		delete(e.tries, t.id)
		if e.byKey[t.key] == t {
			delete(e.byKey, t.key)
		}
		reason := "killed"
		if !t.killed {
			reason = "lost: the executor stopped before a node took it"
		}
		e.mu.Unlock()
		now := time.Now().UTC()
		e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateFailed,
			Reason: reason, StartDate: t.queuedAt, EndDate: now})
		return
	}
	e.pending = append([]*dispatchTry{t}, e.pending...)
	e.mu.Unlock()
	e.poke()
}

// fail ends a try the executor could not send at all.
func (e *RemoteExecutor) fail(t *dispatchTry, reason string) {
	e.mu.Lock()
	if e.tries[t.id] != t {
		e.mu.Unlock()
		return
	}
	e.untrack(t)
	e.mu.Unlock()
	if f, err := openLog(LogPath(e.cfg.LogsFolder, t.key, t.w.TryNumber)); err == nil {
		fmt.Fprintf(f, "[wasmflow] %s\n", reason)
		f.Close()
	}
	now := time.Now().UTC()
	e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateFailed,
		Reason: reason, StartDate: t.queuedAt, EndDate: now})
}

func (e *RemoteExecutor) sendKill(t *dispatchTry) {
	e.mu.Lock()
	ws := e.workers[t.worker]
	var addr string
	if ws != nil {
		addr = ws.dataAddr
	}
	e.mu.Unlock()
	if addr == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.ch.call(ctx, addr, pathKill, killRequest{ID: t.id}, nil); err != nil {
		e.log.Warn("kill a try on a worker", "worker", ws.name, "task_id", t.key.TaskID, "try", t.w.TryNumber, "err", err)
	}
}

// forwardLocal passes the local executor's results on, freeing the server's own slots.
func (e *RemoteExecutor) forwardLocal() {
	defer e.bg.Done()
	defer close(e.fwdDone)
	for {
		select {
		case <-e.stopBg:
			return
		case <-e.fwdStop:
			return
		case res := <-e.localCh:
			e.forwardLocalResult(res)
		}
	}
}

func (e *RemoteExecutor) forwardLocalResult(res scheduler.TryResult) {
	if res.Progress() { // waiting for memory, or started: the try keeps its slot
		if res.State == tasks.StateRunning {
			res.Hostname = e.node.Name()
		}
		e.deliver(context.Background(), res)
		return
	}
	e.mu.Lock()
	if t := e.byKey[res.Key]; t != nil && t.w.TryNumber == res.TryNumber {
		if ws := e.workers[t.worker]; ws != nil && ws.local {
			e.untrack(t)
		}
	}
	e.mu.Unlock()
	e.deliver(context.Background(), res)
}

// onEvent follows the membership: workers joining or changing are dispatched to, workers
// gone have their tries reported lost.
func (e *RemoteExecutor) onEvent(ev MemberEvent) {
	m := ev.Member
	if m.Role != RoleWorker {
		return
	}
	e.mu.Lock()
	ws := e.workers[m.Name]
	if ev.Kind == EventLeave {
		if ws == nil || ws.local {
			e.mu.Unlock()
			return
		}
		delete(e.workers, m.Name)
		var lost, resend []*dispatchTry
		for _, t := range ws.tries {
			if t.state == trySending && !t.killed {
				resend = append(resend, t) // never confirmed started: another worker takes it
				continue
			}
			lost = append(lost, t)
		}
		for _, t := range lost {
			e.untrack(t)
		}
		for _, t := range resend {
			delete(ws.tries, t.id)
			t.worker, t.state = "", tryPending
			e.pending = append([]*dispatchTry{t}, e.pending...)
		}
		e.mu.Unlock()
		verb := "died"
		if m.State == StateLeft {
			verb = "left"
		}
		e.log.Warn("worker "+verb, "worker", m.Name, "tries_lost", len(lost), "tries_resent", len(resend))
		e.reportLost(lost, m.Name, verb)
		e.poke()
		return
	}
	if ws == nil {
		ws = &workerSlot{name: m.Name, tries: map[string]*dispatchTry{}}
		e.workers[m.Name] = ws
		// Tries a worker reported in its hello before its join reached us.
		for _, t := range e.tries {
			if t.worker == m.Name && t.adopted {
				ws.tries[t.id] = t
				ws.used++
			}
		}
		e.log.Info("worker joined", "worker", m.Name, "queues", m.Queues, "slots", m.Slots, "version", m.Version)
	}
	ws.dataAddr, ws.queues, ws.slots, ws.draining = m.DataAddress, m.Queues, m.Slots, m.Draining
	e.mu.Unlock()
	e.poke()
}

// restarted forgets the tries a worker took in a process other than instance, the one that
// answers now under its name: a worker restarted at once on the same address is never seen
// dead, and what its previous process ran is gone with it. e.mu is held; the caller reports
// what it returns with reportLost.
func (e *RemoteExecutor) restarted(worker, instance string) []*dispatchTry {
	if instance == "" {
		return nil
	}
	var gone []*dispatchTry
	for _, t := range e.tries {
		if t.worker == worker && t.state == tryRunning && t.instance != "" && t.instance != instance {
			gone = append(gone, t)
		}
	}
	for _, t := range gone {
		e.untrack(t)
	}
	if len(gone) > 0 {
		e.log.Warn("worker restarted", "worker", worker, "tries_lost", len(gone))
	}
	return gone
}

// reportLost reports tries of a worker that died, left or restarted as failed, "lost: worker
// <name> <verb>", so the scheduler retries them per their retries; their logs say so too.
func (e *RemoteExecutor) reportLost(lost []*dispatchTry, worker, verb string) {
	now := time.Now().UTC()
	reason := "lost: worker " + worker + " " + verb
	for _, t := range lost {
		go func() {
			// The try's log says how it ended, as it does for a try that could not be sent.
			if err := e.appendLog(t.key, t.w.TryNumber, []byte("[wasmflow] "+reason+"\n")); err != nil {
				e.log.Warn("write a lost try's log", "task_id", t.key.TaskID, "try", t.w.TryNumber, "err", err)
			}
			e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateFailed,
				Reason: reason, StartDate: t.sentAt, EndDate: now, Hostname: worker})
		}()
	}
}

// handleResult takes a worker's result, and acknowledges it only once the scheduler has it:
// otherwise the worker keeps it and sends it again.
func (e *RemoteExecutor) handleResult(r *http.Request, body []byte) (int, any) {
	var msg resultMessage
	if status, out := decode(body, &msg); status != 0 {
		return status, out
	}
	e.mu.Lock()
	if !e.started || e.stopping && e.tries[msg.ID] == nil {
		e.mu.Unlock()
		return http.StatusServiceUnavailable, errorBody{"the scheduler is not running; keep the result and send it again"}
	}
	if e.delivered[msg.ID] || e.deliveredOld[msg.ID] {
		e.mu.Unlock()
		return http.StatusOK, struct{}{} // delivered before; the acknowledgement was lost
	}
	e.markDelivered(msg.ID)
	if t := e.tries[msg.ID]; t != nil {
		e.untrack(t)
	}
	e.mu.Unlock()
	if len(msg.Log) > 0 {
		e.appendLog(msg.Result.Key, msg.Result.TryNumber, msg.Log)
	}
	if !e.deliver(r.Context(), msg.Result) {
		e.mu.Lock()
		delete(e.delivered, msg.ID)
		e.mu.Unlock()
		return http.StatusServiceUnavailable, errorBody{"the scheduler is not running; keep the result and send it again"}
	}
	return http.StatusOK, struct{}{}
}

// markDelivered records id, rotating the generations. e.mu is held.
func (e *RemoteExecutor) markDelivered(id string) {
	if time.Since(e.rotated) > 30*time.Minute {
		e.deliveredOld, e.delivered, e.rotated = e.delivered, map[string]bool{}, time.Now()
	}
	e.delivered[id] = true
}

func (e *RemoteExecutor) handleLog(_ *http.Request, body []byte) (int, any) {
	var msg logMessage
	if status, out := decode(body, &msg); status != 0 {
		return status, out
	}
	if err := e.appendLog(msg.Key, msg.TryNumber, msg.Data); err != nil {
		return http.StatusInternalServerError, errorBody{err.Error()}
	}
	return http.StatusOK, struct{}{}
}

func (e *RemoteExecutor) appendLog(key scheduler.TIKey, try int, data []byte) error {
	f, err := scheduler.OpenLog(LogPath(e.cfg.LogsFolder, key, try))
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

func (e *RemoteExecutor) handleXCom(_ *http.Request, body []byte) (int, any) {
	var req xcomRequest
	if status, out := decode(body, &req); status != 0 {
		return status, out
	}
	e.mu.Lock()
	var xcom func(taskID, key string) ([]byte, bool)
	if t := e.tries[req.ID]; t != nil {
		xcom = t.xcom
	}
	e.mu.Unlock()
	var v []byte
	var ok bool
	switch {
	case xcom != nil:
		v, ok = xcom(req.TaskID, req.XKey)
	case e.cfg.XCom != nil:
		v, ok = e.cfg.XCom(req.Key, req.TaskID, req.XKey)
	}
	return http.StatusOK, xcomResponse{Found: ok, Value: v}
}

// handleHello counts the tries a worker already runs (the server restarted under them) in
// its slots, so it is not given more than it can take, and lets the scheduler adopt them. A
// worker that greeted this process before is only told it is still the same one.
// handleMembers answers Members, for `wasmflow cluster members`.
func (e *RemoteExecutor) handleMembers(*http.Request, []byte) (int, any) {
	return http.StatusOK, membersResponse{Members: e.Members()}
}

func (e *RemoteExecutor) handleHello(_ *http.Request, body []byte) (int, any) {
	var msg helloMessage
	if status, out := decode(body, &msg); status != 0 {
		return status, out
	}
	resp := helloResponse{Instance: e.instance}
	e.mu.Lock()
	var gone []*dispatchTry
	if ws := e.workers[msg.Worker]; ws != nil && !ws.local && ws.dataAddr == msg.DataAddr {
		gone = e.restarted(msg.Worker, msg.Instance)
	}
	e.mu.Unlock()
	e.reportLost(gone, msg.Worker, "restarted")
	if msg.Greeted == e.instance {
		return http.StatusOK, resp
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ws := e.workers[msg.Worker]
	for _, rt := range msg.Running {
		if e.tries[rt.ID] != nil || e.delivered[rt.ID] || e.deliveredOld[rt.ID] {
			continue
		}
		t := &dispatchTry{id: rt.ID, key: rt.Key, worker: msg.Worker, state: tryRunning, adopted: true, sentAt: time.Now().UTC(), instance: msg.Instance,
			w: scheduler.Workload{DagID: rt.Key.DagID, RunID: rt.Key.RunID, TaskID: rt.Key.TaskID, TryNumber: rt.TryNumber, Queue: rt.Queue}}
		e.tries[t.id] = t
		if e.byKey[t.key] == nil {
			e.byKey[t.key] = t
		}
		if ws != nil {
			ws.tries[t.id] = t
			ws.used++
		}
	}
	return http.StatusOK, resp
}

// Adopt reports whether a worker runs the try of key with this try number although this
// process did not submit it (the server restarted while it ran); its result will come through
// this executor like any other.
func (e *RemoteExecutor) Adopt(key scheduler.TIKey, tryNumber int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range e.tries {
		if t.adopted && t.key == key && t.w.TryNumber == tryNumber {
			return true
		}
	}
	return false
}

// WaitingTry is a try the executor holds because no node can take it yet.
type WaitingTry struct {
	Key       scheduler.TIKey
	TryNumber int
	Queue     string
	Since     time.Time
	Reason    string
}

// Waiting lists the tries waiting for a node, oldest first, with why.
func (e *RemoteExecutor) Waiting() []WaitingTry {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]WaitingTry, 0, len(e.pending))
	for _, t := range e.pending {
		q := queueOf(t.w.Queue)
		reason := e.reasons[q]
		if reason == "" {
			reason = "waiting for the dispatcher"
		}
		out = append(out, WaitingTry{Key: t.key, TryNumber: t.w.TryNumber, Queue: q, Since: t.queuedAt, Reason: reason})
	}
	return out
}

// Members lists the cluster's nodes, with used slots as this executor counts them.
func (e *RemoteExecutor) Members() []Member {
	ms := e.node.Members()
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range ms {
		if ws := e.workers[ms[i].Name]; ws != nil && ms[i].State == StateAlive {
			ms[i].UsedSlots = ws.used
			if ws.unreachable {
				ms[i].State = StateSuspect
			}
		}
	}
	sortMembers(ms)
	return ms
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
