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

// Observe joins the cluster for a moment as an observer (a member that takes no work), reads
// who is there with their metadata, and leaves: what `wasmflow cluster members` shows when it
// is not given a running server's API. Used slots are as the workers last gossiped them.
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
	ms := n.Members()
	_ = n.Leave(500 * time.Millisecond)
	return ms, nil
}
