package cluster

import (
	"context"
	"sort"
	"time"
)

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
