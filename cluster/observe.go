package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"
)

// ObserveConfig configures Observe.
type ObserveConfig struct {
	// Seeds are nodes to ask, "host[:port]": the server's cluster address.
	Seeds  []string
	Secret string
	// Bind is the observer's own gossip address. Default: 127.0.0.1:0 when the first seed is
	// on this machine's loopback, else 0.0.0.0:0.
	Bind string
	// Timeout bounds the whole look. Default 5 s.
	Timeout time.Duration
	Log     *slog.Logger
}

// Observe joins the cluster for a moment as an observer (a member that takes no work), asks
// the server over the data channel for the members as it sees them, and leaves: what
// `wasmflow cluster members` shows. The server's view is the one that counts, and the only
// one with the dead and left workers: memberlist tells a newcomer only of the alive (a dead
// node reaches it as a suspect it never knew, which it ignores). Without an alive server it
// is the members as gossiped, used slots as the workers last told them.
func Observe(ctx context.Context, cfg ObserveConfig) ([]Member, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Bind == "" {
		cfg.Bind = "0.0.0.0:0"
		if len(cfg.Seeds) > 0 {
			if h, _, err := splitHostPort(cfg.Seeds[0], DefaultPort); err == nil {
				if ip := net.ParseIP(h); (ip != nil && ip.IsLoopback()) || h == "localhost" {
					cfg.Bind = "127.0.0.1:0"
				}
			}
		}
	}
	host, _ := os.Hostname()
	n, err := StartNode(NodeConfig{Name: fmt.Sprintf("observer-%s-%d", host, os.Getpid()), Bind: cfg.Bind, Secret: cfg.Secret,
		Role: RoleObserver, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	if err := n.Join(ctx, cfg.Seeds); err != nil {
		n.Close()
		return nil, err
	}
	ms, err := askServer(ctx, n, cfg)
	_ = n.Leave(500 * time.Millisecond)
	return ms, err
}

// askServer returns the server's members, or n's own view when no server is alive.
func askServer(ctx context.Context, n *Node, cfg ObserveConfig) ([]Member, error) {
	srv, ok := n.Server()
	if !ok || srv.DataAddress == "" {
		return n.Members(), nil
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ch := newChannel(n.Name(), cfg.Secret, log)
	defer ch.close()
	var resp membersResponse
	if err := ch.call(ctx, srv.DataAddress, pathMembers, struct{}{}, &resp); err != nil {
		return nil, fmt.Errorf("ask the server %s for its members: %w (workers and server must run the same wasmflow build)", srv.Name, err)
	}
	return resp.Members, nil
}
