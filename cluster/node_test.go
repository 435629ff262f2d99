package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

func TestMetaEncoding(t *testing.T) {
	m := Meta{Role: RoleWorker, Queues: []string{"etl", "gpu"}, Slots: 8, Used: 3, Version: "v1.2.3", DataAddr: "10.0.0.7:7947", Draining: true}
	b, err := m.encode("10.0.0.7")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 100 {
		t.Errorf("metadata of a typical worker is %d bytes: %s", len(b), b)
	}
	got, err := decodeMeta(b, "10.0.0.7")
	if err != nil || fmt.Sprint(got) != fmt.Sprint(m) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	// A data channel on another host keeps its host.
	m.DataAddr = "192.168.1.2:9000"
	b, _ = m.encode("10.0.0.7")
	if got, _ := decodeMeta(b, "10.0.0.7"); got.DataAddr != "192.168.1.2:9000" {
		t.Errorf("data address = %q", got.DataAddr)
	}
	var many []string
	for i := range 60 {
		many = append(many, fmt.Sprintf("queue_number_%d", i))
	}
	m.Queues = many
	if _, err := m.encode("10.0.0.7"); err == nil || !strings.Contains(err.Error(), "512") {
		t.Fatalf("oversized metadata: %v", err)
	}
	_, err = StartNode(NodeConfig{Name: "big", Bind: "127.0.0.1:0", Secret: testSecret, Role: RoleWorker, Queues: many, Slots: 1})
	if err == nil || !strings.Contains(err.Error(), "queue") {
		t.Fatalf("a node with too many queues started: %v", err)
	}
}

func TestParseQueues(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  string
	}{
		{"", []string{"default"}, ""},
		{"etl, gpu,etl", []string{"etl", "gpu"}, ""},
		{"a b", nil, "only letters"},
	} {
		got, err := ParseQueues(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v", c.in, err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%q: %v, %v", c.in, got, err)
		}
	}
	if !(Meta{}).Serves("") || !(Meta{}).Serves("default") || (Meta{}).Serves("etl") || !(Meta{Queues: []string{"etl"}}).Serves("etl") {
		t.Error("Serves")
	}
}

func TestSigner(t *testing.T) {
	s := signer{key: channelKey(testSecret)}
	now := time.Now()
	sig := s.request("POST", "/v1/results", "w1", now.Unix(), []byte("body"))
	ts := fmt.Sprint(now.Unix())
	if err := s.check("POST", "/v1/results", "w1", ts, sig, []byte("body"), now); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		method, path, node, body string
		at                       time.Time
		want                     error
	}{
		"body":      {"POST", "/v1/results", "w1", "bodY", now, errBadSignature},
		"path":      {"POST", "/v1/logs", "w1", "body", now, errBadSignature},
		"sender":    {"POST", "/v1/results", "w2", "body", now, errBadSignature},
		"replayed":  {"POST", "/v1/results", "w1", "body", now.Add(6 * time.Minute), errStale},
		"other key": {"", "", "", "", now, errBadSignature},
	} {
		var err error
		if name == "other key" {
			err = signer{key: channelKey("other")}.check("POST", "/v1/results", "w1", ts, sig, []byte("body"), now)
		} else {
			err = s.check(c.method, c.path, c.node, ts, sig, []byte(c.body), c.at)
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if string(gossipKey("x")) == string(channelKey("x")) || len(gossipKey("x")) != 32 {
		t.Error("the gossip and channel keys must differ, and the gossip key be AES-256")
	}
}

func TestStartNodeErrors(t *testing.T) {
	if _, err := StartNode(NodeConfig{Bind: "127.0.0.1:0", Role: RoleWorker}); !errors.Is(err, ErrNoSecret) {
		t.Errorf("no secret: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = StartNode(NodeConfig{Name: "a", Bind: ln.Addr().String(), DataBind: "127.0.0.1:0", Secret: testSecret, Role: RoleWorker})
	if err == nil || !strings.Contains(err.Error(), "cluster.bind") || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("gossip port in use: %v", err)
	}
	_, err = StartNode(NodeConfig{Name: "a", Bind: "127.0.0.1:0", DataBind: ln.Addr().String(), Secret: testSecret, Role: RoleWorker})
	if err == nil || !strings.Contains(err.Error(), "data channel") {
		t.Errorf("data port in use: %v", err)
	}
}

// TestClusterOfOne: a server alone is a cluster of one: it lists itself and runs tries.
func TestClusterOfOne(t *testing.T) {
	s := startServer(t, serverOpts{local: true, slots: 2})
	ms := s.Members()
	if len(ms) != 1 || ms[0].Name != "server" || ms[0].Role != RoleServer || ms[0].State != StateAlive || ms[0].Slots != 2 || ms[0].Version != "test" {
		t.Fatalf("members: %+v", ms)
	}
	for i := range 5 {
		s.Submit(workload("one", "r", fmt.Sprint(i), 1, noopWasm), nil)
	}
	eventually(t, 10*time.Second, func() bool { return s.res.count() == 5 }, "%d of 5", s.res.count())
	for _, r := range s.res.results() {
		if r.State != tasks.StateSuccess || r.Hostname != "server" {
			t.Errorf("%+v", r)
		}
	}
}

// TestObserver: a node joining to look (as `wasmflow cluster members` does) sees the others
// with their metadata, and gets no work.
func TestObserver(t *testing.T) {
	s := startServer(t, serverOpts{})
	startWorker(t, "w1", s.Node().Address(), workerOpts{queues: []string{"etl"}, slots: 3})
	waitWorkers(t, s, 1)
	ms, err := Observe(context.Background(), ObserveConfig{Seeds: []string{s.Node().Address()}, Secret: testSecret, Bind: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Name != "server" || ms[1].Name != "w1" || fmt.Sprint(ms[1].Queues) != "[etl]" || ms[1].Slots != 3 {
		t.Fatalf("observed: %+v", ms)
	}
	_, err = Observe(context.Background(), ObserveConfig{Seeds: []string{s.Node().Address()}, Secret: "wrong", Bind: "127.0.0.1:0"})
	if !errors.Is(err, ErrWrongSecret) {
		t.Fatalf("observe with the wrong secret: %v", err)
	}
}
