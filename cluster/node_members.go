package cluster

import (
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Members lists every node this one knows: alive ones and, as last seen, dead and left ones;
// the server first, then by name. The view is built from memberlist's join, update and leave
// events, copied as they happen: memberlist's own Members() hands out nodes it keeps changing,
// which cannot be read without a data race, and it has no event for suspicion, so a node that
// stopped answering shows alive until it is declared dead (≤ ~3 s later with our timings).
func (n *Node) Members() []Member {
	n.mu.Lock()
	out := make([]Member, 0, len(n.known)+len(n.gone))
	for name, m := range n.known {
		if name == n.cfg.Name {
			m = n.self(m)
		}
		if m.Role == RoleObserver {
			continue // a CLI looking for a moment, not a member to show
		}
		m.Queues = append([]string(nil), m.Queues...)
		out = append(out, m)
	}
	for name, m := range n.gone {
		if _, ok := n.known[name]; !ok {
			out = append(out, m)
		}
	}
	n.mu.Unlock()
	sortMembers(out)
	return out
}

// self is this node's member, with its metadata as it is now. n.mu is held.
func (n *Node) self(m Member) Member {
	m.Role, m.Queues, m.Slots, m.UsedSlots, m.Version, m.Draining, m.DataAddress = n.meta.Role, n.meta.Queues, n.meta.Slots, n.meta.Used, n.meta.Version, n.meta.Draining, n.dataAddr
	if len(m.Queues) == 0 && m.Slots > 0 {
		m.Queues = []string{DefaultQueue}
	}
	return m
}

func sortMembers(ms []Member) {
	sort.Slice(ms, func(i, j int) bool {
		if (ms[i].Role == RoleServer) != (ms[j].Role == RoleServer) {
			return ms[i].Role == RoleServer
		}
		return ms[i].Name < ms[j].Name
	})
}

// Server is the alive server of the cluster, if any.
func (n *Node) Server() (Member, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var best Member
	found := false
	for _, m := range n.known {
		if m.Role == RoleServer && (!found || m.Name < best.Name) {
			best, found = m, true
		}
	}
	return best, found
}

// member builds a Member from memberlist's view of a node.
func (n *Node) member(name, addr string, port uint16, meta []byte) Member {
	m := Member{Name: name, Address: net.JoinHostPort(addr, strconv.Itoa(int(port))), State: StateAlive}
	md, err := decodeMeta(meta, addr)
	if err != nil {
		m.Role = "unknown"
		return m
	}
	m.Role, m.Queues, m.Slots, m.UsedSlots, m.Version, m.DataAddress, m.Draining = md.Role, md.Queues, md.Slots, md.Used, md.Version, md.DataAddr, md.Draining
	if len(m.Queues) == 0 && (m.Role == RoleWorker || m.Role == RoleServer) && m.Slots > 0 {
		m.Queues = []string{DefaultQueue}
	}
	return m
}

// UpdateMeta changes this node's metadata and gossips it in the background, at most five
// times a second: a worker's used slots change with every try, and gossip is for facts, not
// a stream.
func (n *Node) UpdateMeta(fn func(*Meta)) {
	n.mu.Lock()
	fn(&n.meta)
	n.mu.Unlock()
	select {
	case n.updates <- struct{}{}:
	default:
	}
}

// UpdateMetaNow changes this node's metadata and gossips it at once (draining).
func (n *Node) UpdateMetaNow(fn func(*Meta)) {
	n.mu.Lock()
	fn(&n.meta)
	n.mu.Unlock()
	n.publishMeta()
}

// LocalMeta is this node's metadata as gossiped.
func (n *Node) LocalMeta() Meta {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.meta
	m.Queues = append([]string(nil), m.Queues...)
	return m
}

// publishMeta queues an alive message with the current metadata. It does not wait for it to
// spread (memberlist would wait for every retransmission), and after Leave began it does
// nothing: a late alive message would bring the node back to life in the others' eyes.
func (n *Node) publishMeta() {
	n.pubMu.Lock()
	defer n.pubMu.Unlock()
	if n.leaving {
		return
	}
	if err := n.ml.UpdateNode(time.Nanosecond); err != nil && !strings.Contains(err.Error(), "timeout") {
		n.log.Debug("gossip node metadata", "err", err)
	}
}

func (n *Node) gossipMeta() {
	defer n.done.Done()
	for {
		select {
		case <-n.closed:
			return
		case <-n.updates:
		}
		n.publishMeta()
		select {
		case <-n.closed:
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}
