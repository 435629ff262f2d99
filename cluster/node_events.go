package cluster

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/memberlist"
)

// wakeEvents wakes deliverEvents to see the node closed; under its lock, so the wake-up
// cannot fall between its check and its wait.
func (n *Node) wakeEvents() {
	n.evMu.Lock()
	n.evCond.Broadcast()
	n.evMu.Unlock()
}

// push records a membership change and queues it for OnEvent. memberlist calls its event
// delegate under its own locks, with nodes it keeps changing afterwards: everything is copied
// here, and nothing of ours that could block runs here.
func (n *Node) push(kind EventKind, node *memberlist.Node) {
	m := n.member(node.Name, node.Addr.String(), node.Port, bytes.Clone(node.Meta))
	n.mu.Lock()
	switch kind {
	case EventJoin, EventUpdate:
		delete(n.gone, m.Name)
		n.known[m.Name] = m
	case EventLeave:
		if last, ok := n.known[m.Name]; ok {
			m = last
		}
		// A node that told us it was draining left (Leave spreads that before its goodbye);
		// any other died. memberlist's node.State cannot say: NotifyLeave hands over a Node
		// whose State it never updates (it records left or dead on its own nodeState).
		if m.Draining {
			m.State = StateLeft
		} else {
			m.State = StateDead
		}
		m.UsedSlots, m.Since = 0, time.Now().UTC()
		delete(n.known, m.Name)
		if m.Role != RoleObserver {
			n.gone[m.Name] = m
		}
		if len(n.gone) > 1000 {
			n.pruneGone()
		}
	}
	n.mu.Unlock()
	n.evMu.Lock()
	n.evs = append(n.evs, MemberEvent{Kind: kind, Member: m})
	n.evMu.Unlock()
	n.evCond.Signal()
}

// deliverEvents hands events to OnEvent, one at a time, in order.
func (n *Node) deliverEvents() {
	defer n.done.Done()
	for {
		n.evMu.Lock()
		for len(n.evs) == 0 {
			select {
			case <-n.closed:
				n.evMu.Unlock()
				return
			default:
			}
			n.evCond.Wait()
		}
		ev := n.evs[0]
		n.evs = n.evs[1:]
		n.evMu.Unlock()
		if n.cfg.OnEvent != nil && ev.Member.Name != n.cfg.Name {
			n.cfg.OnEvent(ev)
		}
	}
}

// pruneGone forgets the longest gone members past 1,000.
func (n *Node) pruneGone() {
	all := make([]Member, 0, len(n.gone))
	for _, m := range n.gone {
		all = append(all, m)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Since.Before(all[j].Since) })
	for _, m := range all[:len(all)-1000] {
		delete(n.gone, m.Name)
	}
}

// nodeDelegate gives memberlist this node's metadata; it carries no messages of ours.
type nodeDelegate Node

func (d *nodeDelegate) NodeMeta(limit int) []byte {
	n := (*Node)(d)
	n.mu.Lock()
	m := n.meta
	n.mu.Unlock()
	host, _, _ := net.SplitHostPort(m.DataAddr)
	b, err := m.encode(host)
	if err != nil || len(b) > limit {
		// Checked at start; only a queue list changed later could get here. Keep the facts
		// that let the node be reached and recognized.
		m.Queues = nil
		b, _ = m.encode(host)
	}
	return b
}

func (d *nodeDelegate) NotifyMsg([]byte) {}

func (d *nodeDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }

func (d *nodeDelegate) LocalState(join bool) []byte { return nil }

func (d *nodeDelegate) MergeRemoteState(buf []byte, join bool) {}

// nodeEvents queues memberlist's membership events; it must not block.
type nodeEvents Node

func (e *nodeEvents) NotifyJoin(m *memberlist.Node) { (*Node)(e).push(EventJoin, m) }

func (e *nodeEvents) NotifyLeave(m *memberlist.Node) { (*Node)(e).push(EventLeave, m) }

func (e *nodeEvents) NotifyUpdate(m *memberlist.Node) { (*Node)(e).push(EventUpdate, m) }

// memberlistLog turns memberlist's log lines into slog records: its errors as warnings (a node
// trying the wrong secret shows there), the rest at debug.
type memberlistLog struct{ log *slog.Logger }

func (l *memberlistLog) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	if i := strings.Index(line, "[ERR]"); i >= 0 {
		msg := strings.TrimSpace(line[i+5:])
		switch {
		case strings.Contains(strings.ToLower(msg), "no installed keys could decrypt"):
			from := ""
			if j := strings.LastIndex(msg, "from="); j >= 0 {
				from = msg[j+5:]
			}
			l.log.Warn("refused a node using another cluster secret", "from", from)
		case strings.Contains(msg, "use of closed network connection"):
			l.log.Debug(msg) // sends racing our own shutdown
		default:
			l.log.Warn(msg)
		}
	} else {
		l.log.Debug(line)
	}
	return len(p), nil
}

var _ io.Writer = (*memberlistLog)(nil)
