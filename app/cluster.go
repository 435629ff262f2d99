package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/app/config"
	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/scheduler"
)

// ClusterOptions are the cluster side of `wasmflow server`.
type ClusterOptions struct {
	// NoLocal makes the server run no tries itself: workers run everything.
	NoLocal bool
	// Queues the server serves itself; empty: the default queue.
	Queues []string
	// Slots is how many tries the server runs itself at once; 0: core.parallelism.
	Slots int
	// Name in the cluster; empty: the hostname.
	Name string
	// Advertise is the address workers reach the server at, when cluster.bind is 0.0.0.0 on
	// a host with several addresses.
	Advertise string
}

// clusterSecretFile keeps a secret generated for a server started without cluster.secret_key,
// so its join command stays valid across restarts.
const clusterSecretFile = "cluster.secret"

// ClusterSecret is cluster.secret_key, or else the secret this home generated before, or else
// a new one written to <home>/cluster.secret (mode 0600); generated says it is not from the
// configuration, so the server prints it.
func (a *App) ClusterSecret() (secret string, generated bool, err error) {
	if a.Config.Cluster.SecretKey != "" {
		return a.Config.Cluster.SecretKey, false, nil
	}
	path := filepath.Join(a.Config.Home, clusterSecretFile)
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), true, nil
	}
	secret = cluster.NewSecret()
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("save the generated cluster secret: %w (or set cluster.secret_key)", err)
	}
	return secret, true, nil
}

// StartCluster binds the server's cluster ports (cluster.bind for gossip, the next port for
// the data channel) and returns the executor for its scheduler: tries go to workers whose
// queues match, and to this process too unless NoLocal.
func (a *App) StartCluster(ctx context.Context, o ClusterOptions) (*cluster.RemoteExecutor, error) {
	secret, _, err := a.ClusterSecret()
	if err != nil {
		return nil, err
	}
	cfg := cluster.ServerConfig{
		Node: cluster.NodeConfig{Name: o.Name, Bind: a.Config.Cluster.Bind, Advertise: o.Advertise, Secret: secret,
			Version: Version, Queues: o.Queues, Slots: o.Slots, Log: a.Log},
		LogsFolder: a.Config.LogsFolder(),
		Log:        a.Log,
		XCom: func(key scheduler.TIKey, taskID, xkey string) ([]byte, bool) {
			x, err := a.Store.GetXCom(context.WithoutCancel(ctx), key.DagID, key.RunID, taskID, xkey)
			return x.Value, err == nil
		},
	}
	if !o.NoLocal {
		r, err := a.Runner(ctx)
		if err != nil {
			return nil, err
		}
		if cfg.Node.Slots <= 0 {
			cfg.Node.Slots = a.Config.Core.Parallelism
		}
		cfg.Local = &cluster.LocalExecutor{Runner: r, LogsFolder: a.Config.LogsFolder()}
	}
	e, err := cluster.NewRemoteExecutor(cfg)
	if err != nil {
		return nil, clusterPortError(err, a.Config.Cluster.Bind)
	}
	return e, nil
}

// ClusterPortError says a cluster port (cluster.bind, or the next one for the data channel)
// is taken; the desktop app then runs without the cluster.
type ClusterPortError struct {
	Bind string
	Err  error
}

func (e *ClusterPortError) Error() string {
	if strings.Contains(e.Err.Error(), "cluster.bind") { // it says what to change already
		return e.Err.Error()
	}
	return fmt.Sprintf("cluster address %s (or its data channel, the next port) is in use: set cluster.bind (%s) to another address: %v",
		e.Bind, config.EnvName("cluster", "bind"), e.Err)
}

func (e *ClusterPortError) Unwrap() error { return e.Err }

// clusterPortError names the setting to change when a cluster port is taken.
func clusterPortError(err error, bind string) error {
	if strings.Contains(err.Error(), "address already in use") {
		return &ClusterPortError{Bind: bind, Err: err}
	}
	return err
}

// JoinCommand is the command that joins a worker to this server, secret included.
func JoinCommand(e *cluster.RemoteExecutor, secret string) string {
	return fmt.Sprintf("wasmflow worker --join %s --secret %s", e.Node().Address(), shellQuote(secret))
}

// JoinNote says why workers on other machines cannot join e, when its cluster listens on a
// loopback address only (the default of standalone and the desktop app); "" otherwise.
func JoinNote(e *cluster.RemoteExecutor) string {
	addr := e.Node().Address()
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("the cluster listens on %s, this machine only: workers on other machines join once cluster.bind (%s) is set to an address they reach, e.g. 0.0.0.0:7946",
		addr, config.EnvName("cluster", "bind"))
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/+=@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ClusterMembers lists the cluster's members as the server sees them, dead and left ones too,
// for `wasmflow cluster members` run on a server's machine without its API: it joins
// cluster.bind's port on this machine for a moment as an observer and asks the server over the
// data channel (cluster.Observe). seed overrides where to look ("host[:port]").
func (a *App) ClusterMembers(ctx context.Context, seed string) ([]cluster.Member, error) {
	secret, generated, err := a.ClusterSecret()
	if err != nil {
		return nil, err
	}
	if seed == "" {
		_, port, err := net.SplitHostPort(a.Config.Cluster.Bind)
		if err != nil {
			return nil, fmt.Errorf("cluster.bind %q: %w", a.Config.Cluster.Bind, err)
		}
		host, _, _ := net.SplitHostPort(a.Config.Cluster.Bind)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		seed = net.JoinHostPort(host, port)
	}
	ms, err := cluster.Observe(ctx, cluster.ObserveConfig{Seeds: []string{seed}, Secret: secret, Log: a.Log})
	if err != nil && errors.Is(err, cluster.ErrUnreachable) {
		return nil, fmt.Errorf("no server answers at %s: is `wasmflow server` running? (%w)", seed, err)
	}
	if err != nil && generated && errors.Is(err, cluster.ErrWrongSecret) {
		return nil, fmt.Errorf("%w (this home's generated secret is in %s; set cluster.secret_key to the server's)", err,
			filepath.Join(a.Config.Home, clusterSecretFile))
	}
	return ms, err
}

// WorkerOptions are what `wasmflow worker` takes.
type WorkerOptions struct {
	Join      []string
	Secret    string // default cluster.secret_key
	Queues    []string
	Slots     int
	Name      string
	Bind      string // default cluster.bind
	Advertise string
	Grace     time.Duration // default 60 s
}

// RunWorker runs a worker until ctx is done (SIGTERM), then drains it. It needs no metastore:
// only the home's cache/ (modules received and their compiled code). ready, if set, is called
// once it has joined.
func RunWorker(ctx context.Context, cfg config.Config, o WorkerOptions, log *slog.Logger, ready func(*cluster.Worker)) error {
	if o.Secret == "" {
		o.Secret = cfg.Cluster.SecretKey
	}
	if o.Bind == "" {
		o.Bind = cfg.Cluster.Bind
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for i, s := range o.Join {
		if _, _, err := net.SplitHostPort(s); err != nil {
			o.Join[i] = net.JoinHostPort(strings.Trim(s, "[]"), strconv.Itoa(cluster.DefaultPort))
		}
	}
	w, err := cluster.NewWorker(cluster.WorkerConfig{
		Node: cluster.NodeConfig{Name: o.Name, Bind: o.Bind, Advertise: o.Advertise, Secret: o.Secret, Queues: o.Queues,
			Slots: o.Slots, Version: Version},
		Join: o.Join, CacheDir: filepath.Join(cfg.CacheFolder(), "worker"), Grace: o.Grace, Log: log,
		MaxTaskMemory: cfg.Core.MaxTaskMemory, MountQuota: cfg.Core.MountQuota,
	})
	if err != nil {
		return clusterPortError(err, o.Bind)
	}
	if err := w.Start(ctx); err != nil {
		w.Close()
		return err
	}
	if ready != nil {
		ready(w)
	}
	<-ctx.Done()
	grace := o.Grace
	if grace <= 0 {
		grace = 60 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	return w.Stop(sctx)
}

// ServeCluster is Serve for `wasmflow server`: the scheduler dispatches through the cluster
// (workers, and this process unless o.NoLocal) instead of the local executor alone. ready, if
// set, is called once everything runs, with the command that joins a worker.
func (a *App) ServeCluster(ctx context.Context, o ClusterOptions, ready func(dags int, ex *cluster.RemoteExecutor, joinCommand string)) error {
	release, err := a.lockScheduling(true)
	if err != nil {
		return err
	}
	defer release()
	if _, err := a.SyncDags(ctx); err != nil {
		return err
	}
	ex, err := a.StartCluster(ctx, o)
	if err != nil {
		return err
	}
	defer ex.Close() // after Stop (the scheduler's) it only releases what is left
	// The host its own slots' tries report: another server that takes its runs over after it
	// died knows those tries died with it.
	host := ex.Node().Name()
	s := scheduler.New(a.withJobs(scheduler.Config{
		Store: a.Store, Executor: ex, Dags: a.Dags.Dags, Parallelism: a.Config.Core.Parallelism, MaxMapLength: a.Config.Core.MaxMapLength, Hostname: host,
		DefaultExecutionTimeout: a.Config.Core.DefaultTaskExecutionTimeout, Log: a.Log,
		LogsFolder: a.Config.LogsFolder(), OnSaved: a.Events.publishChanges,
		RunFilter: func(r scheduler.DagRun) bool { return r.RunType != "test" },
	}))
	a.executor.Store(ex)
	defer a.executor.Store(nil)
	return a.serve(ctx, s, func() {
		if ready != nil {
			secret, _, _ := a.ClusterSecret()
			ready(len(a.Dags.Dags()), ex, JoinCommand(ex, secret))
		}
	})
}
