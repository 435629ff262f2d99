package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// DefaultPort is the gossip port of cluster.bind's default, 0.0.0.0:7946. The data channel
// listens on the next port unless told otherwise.
const DefaultPort = 7946

// NodeConfig configures a Node. Secret and Role are required; the rest has defaults.
type NodeConfig struct {
	// Name identifies the node in the cluster; unique. Default: the hostname.
	Name string
	// Bind is the gossip address, "host:port" (UDP and TCP). Default "0.0.0.0:7946"; port 0
	// picks a free one.
	Bind string
	// Advertise is the "host[:port]" other nodes reach this one at, when it differs from Bind
	// (NAT, or Bind is 0.0.0.0 on a host with several addresses). Default: memberlist's choice,
	// the first private address.
	Advertise string
	// DataBind is the data channel's listen address. Default: Bind's host and Bind's port + 1
	// (0 when Bind's port is 0).
	DataBind string
	// Secret is the cluster secret: any string, the same on every node. It keys gossip
	// encryption (AES-256 of its sha256) and the data channel's HMACs.
	Secret string

	Role    Role
	Queues  []string // queues it serves; empty: DefaultQueue
	Slots   int      // tries it runs at once
	Version string

	// Handler serves the data channel, behind signature checks (see channel.go).
	Handler http.Handler
	// OnEvent is told of every join, update and leave, one at a time in order, on a goroutine
	// of the node's: it may take locks, but should not block for long.
	OnEvent func(MemberEvent)
	// Memberlist, if set, adjusts memberlist's configuration last (tests tighten timings).
	Memberlist func(*memberlist.Config)
	Log        *slog.Logger
}

// Failure detection, tuned so a dead node is declared dead well within 10 s: a node that stops
// answering is suspected after one failed probe (ProbeInterval 500 ms, ProbeTimeout 250 ms, then
// indirect probes through 3 others), and declared dead when its suspicion times out:
// SuspicionMult × max(1, log10(nodes)) × ProbeInterval = 1.5 s up to 9 nodes, and at most
// SuspicionMaxTimeoutMult times that (3 s) while too few others confirm it. Measured on loopback:
// death is seen 2–4 s after a node stops (see TestLostWorker); the bound grows with log10 of
// the cluster's size, ~8 s at 100 nodes. memberlist's LAN default would take 5–24 s.
const (
	probeInterval           = 500 * time.Millisecond
	probeTimeout            = 250 * time.Millisecond
	suspicionMult           = 3
	suspicionMaxTimeoutMult = 2
)

// Member is one node as this node sees it.
type Member struct {
	Name        string   `json:"name"`
	Address     string   `json:"address"`      // gossip host:port
	DataAddress string   `json:"data_address"` // data channel host:port
	Role        Role     `json:"role"`
	Queues      []string `json:"queues"`
	Slots       int      `json:"slots"`
	UsedSlots   int      `json:"used_slots"`
	// State is alive, dead or left; RemoteExecutor.Members also says suspect for a worker
	// whose data channel stopped answering.
	State    string `json:"state"`
	Draining bool   `json:"draining"`
	Version  string `json:"version"`
	// Since is when this node learned of the member's last change of state (dead and left
	// members only; zero otherwise).
	Since time.Time `json:"since,omitzero"`
}

// Member states.
const (
	StateAlive   = "alive"
	StateSuspect = "suspect"
	StateDead    = "dead"
	StateLeft    = "left"
)

// EventKind says what happened to a member.
type EventKind int

const (
	EventJoin EventKind = iota
	EventUpdate
	EventLeave // dead or left: Member.State says which
)

// MemberEvent is a change in the cluster's membership.
type MemberEvent struct {
	Kind   EventKind
	Member Member
}

// Node is this process's membership in the cluster: memberlist gossip (encrypted with the
// cluster secret), its metadata, and the data channel's HTTP listener.
type Node struct {
	cfg      NodeConfig
	log      *slog.Logger
	ml       *memberlist.Memberlist
	srv      *http.Server
	ln       net.Listener
	dataAddr string
	addr     string // gossip host:port as advertised

	mu      sync.Mutex
	meta    Meta
	known   map[string]Member // alive members as last seen, by name
	gone    map[string]Member // dead or left, until they come back
	updates chan struct{}     // asks the meta updater to gossip new metadata
	closed  chan struct{}
	done    sync.WaitGroup
	once    sync.Once
	pubMu   sync.Mutex // serializes metadata broadcasts with Leave
	leaving bool

	evMu   sync.Mutex
	evCond *sync.Cond
	evs    []MemberEvent
}

// Errors of Join, to test with errors.Is.
var (
	ErrWrongSecret = errors.New("wrong cluster secret")
	ErrUnreachable = errors.New("seed unreachable")
)

// StartNode binds the gossip and data ports and starts gossiping, alone: a cluster of one
// until Join (or until others join it).
func StartNode(cfg NodeConfig) (*Node, error) {
	if cfg.Secret == "" {
		return nil, ErrNoSecret
	}
	if cfg.Name == "" {
		cfg.Name, _ = os.Hostname()
	}
	if cfg.Bind == "" {
		cfg.Bind = "0.0.0.0:" + strconv.Itoa(DefaultPort)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	host, port, err := splitHostPort(cfg.Bind, DefaultPort)
	if err != nil {
		return nil, fmt.Errorf("cluster.bind: %w", err)
	}
	if cfg.DataBind == "" {
		dp := 0
		if port != 0 {
			dp = port + 1
		}
		cfg.DataBind = net.JoinHostPort(host, strconv.Itoa(dp))
	}
	n := &Node{cfg: cfg, log: cfg.Log.With("node", cfg.Name), known: map[string]Member{}, gone: map[string]Member{},
		updates: make(chan struct{}, 1), closed: make(chan struct{})}
	n.evCond = sync.NewCond(&n.evMu)
	n.meta = Meta{Role: cfg.Role, Queues: cfg.Queues, Slots: cfg.Slots, Version: cfg.Version}

	n.ln, err = net.Listen("tcp", cfg.DataBind)
	if err != nil {
		return nil, fmt.Errorf("cluster data channel: %w (it listens on cluster.bind's port + 1; set cluster.bind (WASMFLOW__CLUSTER__BIND) or --bind to another address)", err)
	}
	handler := cfg.Handler
	if handler == nil {
		handler = http.NotFoundHandler()
	}
	// Signed heads are a few hundred bytes: 64 KiB, not net/http's 1 MiB, bounds a stranger's.
	n.srv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10, ErrorLog: nil}
	n.done.Add(1)
	go func() {
		defer n.done.Done()
		_ = n.srv.Serve(n.ln)
	}()

	mc := memberlist.DefaultLANConfig()
	mc.Name = cfg.Name
	mc.BindAddr, mc.BindPort = host, port
	if cfg.Advertise != "" {
		ah, ap, err := splitHostPort(cfg.Advertise, port)
		if err != nil {
			n.closeData()
			return nil, fmt.Errorf("advertise address: %w", err)
		}
		mc.AdvertiseAddr, mc.AdvertisePort = ah, ap
	}
	mc.SecretKey = gossipKey(cfg.Secret)
	mc.ProbeInterval, mc.ProbeTimeout = probeInterval, probeTimeout
	mc.SuspicionMult, mc.SuspicionMaxTimeoutMult = suspicionMult, suspicionMaxTimeoutMult
	mc.AwarenessMaxMultiplier = 4
	// Full state swaps every 5 s (memberlist scales it up past 32 nodes) rather than 30 s: a
	// server restarted on its old address knows no worker until one swaps state with it.
	mc.PushPullInterval = 5 * time.Second
	mc.TCPTimeout = 5 * time.Second
	// A worker restarted on another port under its old name may take its name back at once.
	mc.DeadNodeReclaimTime = time.Second
	mc.Delegate = (*nodeDelegate)(n)
	mc.Events = (*nodeEvents)(n)
	mc.LogOutput = &memberlistLog{log: n.log}
	if cfg.Memberlist != nil {
		cfg.Memberlist(mc)
	}
	// The data channel's advertised host is the gossip one, known once memberlist resolved it.
	_, dport, _ := net.SplitHostPort(n.ln.Addr().String())
	n.meta.DataAddr = net.JoinHostPort(mc.AdvertiseAddr, dport)
	n.done.Add(1)
	go n.deliverEvents()
	n.ml, err = memberlist.Create(mc)
	if err != nil {
		n.closeData()
		close(n.closed)
		n.wakeEvents()
		n.done.Wait()
		hint := "set cluster.bind (WASMFLOW__CLUSTER__BIND) or --bind to another address"
		if strings.Contains(err.Error(), "private IP") {
			hint = "give --advertise (cluster address other nodes reach this one at)"
		}
		return nil, fmt.Errorf("cluster gossip on %s: %w (%s)", cfg.Bind, err, hint)
	}
	self := n.ml.LocalNode()
	n.mu.Lock()
	n.meta.DataAddr = net.JoinHostPort(self.Addr.String(), dport)
	n.dataAddr = n.meta.DataAddr
	n.addr = net.JoinHostPort(self.Addr.String(), strconv.Itoa(int(self.Port)))
	n.mu.Unlock()
	if _, err := n.meta.encode(self.Addr.String()); err != nil {
		n.Close()
		return nil, err
	}
	n.done.Add(1)
	go n.gossipMeta()
	return n, nil
}

// Name is this node's name.
func (n *Node) Name() string { return n.cfg.Name }

// Address is this node's gossip "host:port", what others give to --join.
func (n *Node) Address() string { return n.addr }

// DataAddress is this node's data channel "host:port".
func (n *Node) DataAddress() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dataAddr
}

// Join joins the cluster through any of seeds ("host[:port]", port 7946 by default), trying
// again until ctx is done while no seed answers. A wrong secret fails at once with
// ErrWrongSecret: retrying cannot help.
func (n *Node) Join(ctx context.Context, seeds []string) error {
	if len(seeds) == 0 {
		return errors.New("join the cluster: no seed address given (--join HOST[:PORT])")
	}
	addrs := make([]string, len(seeds))
	for i, s := range seeds {
		h, p, err := splitHostPort(s, DefaultPort)
		if err != nil {
			return fmt.Errorf("join the cluster: %w", err)
		}
		addrs[i] = net.JoinHostPort(h, strconv.Itoa(p))
	}
	wait := 200 * time.Millisecond
	for {
		err := n.JoinOnce(addrs)
		if err == nil || errors.Is(err, ErrWrongSecret) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %v)", err, context.Cause(ctx))
		case <-n.closed:
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// JoinOnce tries each seed once, in order, and stops at the first that answers.
func (n *Node) JoinOnce(addrs []string) error {
	var errs []error
	for _, a := range addrs {
		_, err := n.ml.Join([]string{a})
		if err == nil {
			return nil
		}
		msg := strings.TrimSpace(err.Error())
		if i := strings.LastIndex(msg, "* "); i >= 0 { // memberlist's multierror list
			msg = msg[i+2:]
		}
		msg = strings.TrimPrefix(msg, "failed to join "+a+": ")
		switch {
		case strings.Contains(msg, "no installed keys could decrypt"), strings.Contains(msg, "not encrypted"):
			return fmt.Errorf("join the cluster at %s: %w: the node there could not read our messages, nor we its (%s); use the secret `wasmflow server` printed", a, ErrWrongSecret, msg)
		default:
			errs = append(errs, fmt.Errorf("%s: %s", a, msg))
		}
	}
	return fmt.Errorf("join the cluster: %w: %w (is `wasmflow server` running there, and are its ports open?)", ErrUnreachable, errors.Join(errs...))
}

// Leave tells the cluster this node is going (others see it "left", not "dead"), waiting up to
// timeout for that to spread, then closes the node.
func (n *Node) Leave(timeout time.Duration) error {
	var err error
	select {
	case <-n.closed:
		return nil
	default:
	}
	n.pubMu.Lock()
	n.leaving = true
	n.pubMu.Unlock()
	if n.cfg.Role != RoleObserver {
		// The others cannot tell a goodbye from a death in memberlist's events: they take a
		// node gone while draining as left. So say so first, and wait until it has been
		// gossiped, or memberlist's dead message would supersede it in the queue.
		n.mu.Lock()
		n.meta.Draining = true
		n.mu.Unlock()
		if uerr := n.ml.UpdateNode(min(timeout/2, time.Second)); uerr != nil {
			n.log.Debug("gossip draining before leaving", "err", uerr)
		}
	}
	if err = n.ml.Leave(timeout); err != nil {
		err = fmt.Errorf("leave the cluster: %w", err)
	}
	return errors.Join(err, n.Close())
}

// Close stops the node at once, as if the process died: no goodbye, others find it dead.
func (n *Node) Close() error {
	var err error
	n.once.Do(func() {
		close(n.closed)
		err = n.ml.Shutdown()
		n.closeData()
		n.wakeEvents()
		n.done.Wait()
	})
	return err
}

func (n *Node) closeData() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = n.srv.Shutdown(ctx)
	_ = n.srv.Close()
}
