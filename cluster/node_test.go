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
	q := newSignedRequest("POST", "/v1/results", "w1", now.Unix(), []byte("body"))
	sig := s.request(q)
	ts := fmt.Sprint(now.Unix())
	if err := s.check(q, ts, sig, now); err != nil {
		t.Fatal(err)
	}
	if err := checkBody(q.bodySHA256, []byte("body")); err != nil {
		t.Fatal(err)
	}
	if err := checkBody(q.bodySHA256, []byte("bodY")); !errors.Is(err, errBodyMismatch) {
		t.Errorf("another body: %v, want %v", err, errBodyMismatch)
	}
	other := newSignedRequest("POST", "/v1/results", "w1", now.Unix(), []byte("bodY"))
	for name, c := range map[string]struct {
		change func(*signedRequest)
		at     time.Time
		want   error
	}{
		"body's sha256": {func(r *signedRequest) { r.bodySHA256 = other.bodySHA256 }, now, errBadSignature},
		"length":        {func(r *signedRequest) { r.length++ }, now, errBadSignature},
		"no sha256":     {func(r *signedRequest) { r.bodySHA256 = "" }, now, errBadSignature},
		"method":        {func(r *signedRequest) { r.method = "PUT" }, now, errBadSignature},
		"path":          {func(r *signedRequest) { r.path = "/v1/logs" }, now, errBadSignature},
		"sender":        {func(r *signedRequest) { r.node = "w2" }, now, errBadSignature},
		"replayed":      {func(*signedRequest) {}, now.Add(6 * time.Minute), errStale},
	} {
		r := q
		c.change(&r)
		if err := s.check(r, ts, sig, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if err := (signer{key: channelKey("other")}).check(q, ts, sig, now); !errors.Is(err, errBadSignature) {
		t.Errorf("other key: %v, want %v", err, errBadSignature)
	}
	if err := s.check(q, "soon", sig, now); !errors.Is(err, errBadSignature) {
		t.Errorf("no time: %v, want %v", err, errBadSignature)
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
