package cluster

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/hashicorp/memberlist"
)

// Role is what a node does in the cluster.
type Role string

const (
	// RoleServer runs the scheduler and the metastore; workers send it results.
	RoleServer Role = "server"
	// RoleWorker runs tries the server sends it.
	RoleWorker Role = "worker"
	// RoleObserver only looks (`wasmflow cluster members` joining for a moment); it gets no work.
	RoleObserver Role = "observer"
)

// DefaultQueue is the queue of a task that names none, served by workers started without
// --queues.
const DefaultQueue = "default"

// Meta is what a node tells the others about itself through gossip. It must fit memberlist's
// 512 bytes of node metadata, so it holds facts, never payloads.
type Meta struct {
	Role    Role
	Queues  []string // empty: DefaultQueue
	Slots   int      // tries it runs at once
	Used    int      // tries running now, refreshed at most twice a second
	Version string
	// DataAddr is the data channel's "host:port"; a host equal to the node's gossip address is
	// left out on the wire (":port"), which keeps the metadata small.
	DataAddr string
	Draining bool // stopping: it takes no new tries
}

// wireMeta is Meta as encoded: short keys, empty fields left out.
type wireMeta struct {
	R string   `json:"r"`
	Q []string `json:"q,omitempty"`
	S int      `json:"s,omitempty"`
	U int      `json:"u,omitempty"`
	V string   `json:"v,omitempty"`
	D string   `json:"d,omitempty"`
	X bool     `json:"x,omitempty"`
}

// encode renders m for the node at gossip host gossipHost, failing past memberlist's limit
// with what to shorten.
func (m Meta) encode(gossipHost string) ([]byte, error) {
	w := wireMeta{R: string(m.Role), Q: m.Queues, S: m.Slots, U: m.Used, V: m.Version, D: m.DataAddr, X: m.Draining}
	if host, port, err := net.SplitHostPort(m.DataAddr); err == nil && (host == gossipHost || host == "") {
		w.D = ":" + port
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	if len(b) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("node metadata is %d bytes, over memberlist's %d: use fewer or shorter queue names (%d queues given)",
			len(b), memberlist.MetaMaxSize, len(m.Queues))
	}
	return b, nil
}

// decodeMeta reads the metadata of a node whose gossip address is gossipHost.
func decodeMeta(b []byte, gossipHost string) (Meta, error) {
	var w wireMeta
	if err := json.Unmarshal(b, &w); err != nil {
		return Meta{}, fmt.Errorf("decode node metadata: %w", err)
	}
	m := Meta{Role: Role(w.R), Queues: w.Q, Slots: w.S, Used: w.U, Version: w.V, DataAddr: w.D, Draining: w.X}
	if strings.HasPrefix(w.D, ":") {
		m.DataAddr = net.JoinHostPort(gossipHost, w.D[1:])
	}
	return m, nil
}

// Serves reports whether a node with these queues takes tries of queue q.
func (m Meta) Serves(q string) bool {
	if q == "" {
		q = DefaultQueue
	}
	if len(m.Queues) == 0 {
		return q == DefaultQueue
	}
	for _, s := range m.Queues {
		if s == q {
			return true
		}
	}
	return false
}

// ParseQueues reads a --queues value: comma separated names; empty means DefaultQueue.
func ParseQueues(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, q := range strings.Split(s, ",") {
		q = strings.TrimSpace(q)
		if q == "" {
			continue
		}
		for _, c := range q {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
				return nil, fmt.Errorf("queue %q: only letters, digits, '_', '-' and '.' are allowed", q)
			}
		}
		if !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	if len(out) == 0 {
		out = []string{DefaultQueue}
	}
	return out, nil
}

// splitHostPort parses "host[:port]" with defaultPort when the port is absent.
func splitHostPort(addr string, defaultPort int) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		// No port: a bare host or IPv6 literal.
		if strings.Contains(err.Error(), "missing port") {
			return strings.Trim(addr, "[]"), defaultPort, nil
		}
		return "", 0, fmt.Errorf("address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("address %q: port %q is not a number from 0 to 65535", addr, portStr)
	}
	return host, port, nil
}
