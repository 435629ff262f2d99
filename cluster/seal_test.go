package cluster

import (
	"bytes"
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// wire records every byte a node's data channel sends and receives: the channel dials every
// connection it uses, so wrapping its dialer sees both directions of all of them.
type wire struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// tap makes c's connections record into w; a nil w taps nothing. Call it before the node
// starts sending.
func (w *wire) tap(c *channel) {
	if w == nil {
		return
	}
	tr := c.hc.Transport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tappedConn{Conn: conn, w: w}, nil
	}
}

func (w *wire) record(p []byte) {
	w.mu.Lock()
	w.buf.Write(p)
	w.mu.Unlock()
}

func (w *wire) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

type tappedConn struct {
	net.Conn
	w *wire
}

func (c *tappedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.record(p[:n])
	return n, err
}

func (c *tappedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.record(p[:n])
	return n, err
}

// inClear reports whether marker is readable in captured: as it is, or base64 encoded (JSON's
// form of []byte: log lines, XCom values) at any of the three alignments.
func inClear(captured, marker []byte) bool {
	if bytes.Contains(captured, marker) {
		return true
	}
	for pad := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte{0}, pad), marker...))
		// Drop the first and last groups of four: they hold bits of the bytes around the marker.
		if inner := enc[4 : len(enc)-4]; bytes.Contains(captured, []byte(inner)) {
			return true
		}
	}
	return false
}

// TestDataChannelEncrypted: a try's env, its args, the module's bytes, its log lines, its XComs
// and an xcom_pull answer cross between a server and a worker, and none of them can be read
// in what went over the wire, either way; the heads alone are clear.
func TestDataChannelEncrypted(t *testing.T) {
	var wr wire
	s := startServer(t, serverOpts{wire: &wr})
	startWorker(t, "w1", s.Node().Address(), workerOpts{wire: &wr})
	waitWorkers(t, s, 1)

	envMarker := "env-7c1f0a9e-never-in-clear"
	argMarker := "arg-3b8d52c4-printed-logged-returned"
	pullMarker := "pull-91e6d07b" // host.wasm logs the first 20 bytes it pulls
	echo := workload("sealed", "r", "echo", 1, echoWasm, argMarker)
	echo.Env["API_TOKEN"] = envMarker
	pull := workload("sealed", "r", "pull", 1, hostWasm, "extract")
	s.Submit(echo, nil)
	s.Submit(pull, func(taskID, key string) ([]byte, bool) {
		return []byte(pullMarker), taskID == "extract" && key == "return_value"
	})
	eventually(t, 15*time.Second, func() bool { return s.res.count() == 2 }, "%d of 2 results", s.res.count())
	for _, r := range s.res.results() {
		if r.State != tasks.StateSuccess {
			t.Fatalf("%s: %s %s", r.Key.TaskID, r.State, r.Reason)
		}
	}
	// The markers did cross: in the server's log files, in the XComs.
	if b, _ := os.ReadFile(LogPath(s.logs, keyOf(echo), 1)); !strings.Contains(string(b), argMarker) {
		t.Fatalf("the echo try's log on the server lacks %q:\n%s", argMarker, b)
	}
	if b, _ := os.ReadFile(LogPath(s.logs, keyOf(pull), 1)); !strings.Contains(string(b), pullMarker) {
		t.Fatalf("the pull try's log on the server lacks %q:\n%s", pullMarker, b)
	}

	captured := wr.bytes()
	if !bytes.Contains(captured, []byte(pathTries)) || !bytes.Contains(captured, []byte(pathResults)) || !bytes.Contains(captured, []byte(pathXCom)) {
		t.Fatalf("the capture (%d bytes) misses the tries, results or xcom requests: the tap sees nothing", len(captured))
	}
	module, _ := os.ReadFile(echoWasm)
	for what, m := range map[string][]byte{"env value": []byte(envMarker), "arg, log line and return_value": []byte(argMarker),
		"xcom_pull answer": []byte(pullMarker), "module bytes": module[len(module)/2 : len(module)/2+48],
		"log line through the host": []byte("hello from C through the host")} {
		if inClear(captured, m) {
			t.Errorf("the %s (%q) crossed the wire in clear", what, m)
		}
	}
}

// TestDataChannelTampered: a body altered after sealing is refused even under a valid
// signature (the AEAD, not only the HMAC, catches it) and not acted on; an answer altered so
// is an error to the sender, not a result; a sealed body is bound to its request.
func TestDataChannelTampered(t *testing.T) {
	w, err := newTestWorker(t, "w1", "127.0.0.1:1", workerOpts{}) // serves its data channel unjoined
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	addr := w.Node().DataAddress()
	ch := newChannel("server", testSecret, testLog(t))
	good, err := os.ReadFile(noopWasm)
	if err != nil {
		t.Fatal(err)
	}
	path := pathModules + digest(good)

	// send writes a module PUT whose sealed body is changed by alter before it is signed.
	send := func(alter func(sealed []byte) []byte) (*http.Response, string) {
		now := time.Now()
		q := signedRequest{method: http.MethodPut, path: path, node: "server", unix: now.Unix()}
		body := alter(ch.sealer.seal(good, requestAD(q)))
		q = newSignedRequest(http.MethodPut, path, "server", now.Unix(), body)
		conn := rawRequest(t, addr, http.MethodPut, path, int64(len(body)), map[string]string{headerNode: "server",
			headerTime: strconv.FormatInt(now.Unix(), 10), headerBody: q.bodySHA256, headerSignature: ch.signer.request(q)})
		if _, err := conn.Write(body); err != nil {
			t.Fatal(err)
		}
		return answer(t, conn)
	}
	for name, alter := range map[string]func([]byte) []byte{
		"a ciphertext byte flipped": func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b },
		"the tag cut":               func(b []byte) []byte { return b[:len(b)-1] },
		"plain bytes, not sealed":   func([]byte) []byte { return good },
		"sealed for another path": func([]byte) []byte {
			return ch.sealer.seal(good, requestAD(signedRequest{method: http.MethodPut, path: pathModules + "0", node: "server", unix: time.Now().Unix()}))
		},
	} {
		if resp, body := send(alter); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "does not decrypt") {
			t.Errorf("%s, signed: %d %s, want 401 saying it does not decrypt", name, resp.StatusCode, body)
		}
		if w.modules.has(digest(good)) {
			t.Fatalf("%s: the module was cached", name)
		}
	}
	if resp, body := send(func(b []byte) []byte { return b }); resp.StatusCode != http.StatusOK || !w.modules.has(digest(good)) {
		t.Fatalf("the same request unaltered: %d %s, want 200 and the module cached", resp.StatusCode, body)
	}

	// Answers: a fake node seals and signs its answer as a node does, altering it in between.
	var flip bool
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathHello, func(rw http.ResponseWriter, r *http.Request) {
		sig := r.Header.Get(headerSignature)
		b := ch.sealer.seal([]byte(`{"instance":"fake"}`), responseAD(sig, http.StatusOK))
		if flip {
			b[len(b)-5] ^= 0x80
		}
		rw.Header().Set(headerSignature, ch.signer.response(sig, http.StatusOK, b))
		rw.WriteHeader(http.StatusOK)
		_, _ = rw.Write(b)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	fakeAddr := strings.TrimPrefix(srv.URL, "http://")
	var resp helloResponse
	if err := ch.call(context.Background(), fakeAddr, pathHello, helloMessage{Worker: "w1"}, &resp); err != nil || resp.Instance != "fake" {
		t.Fatalf("an unaltered answer: %+v %v", resp, err)
	}
	flip = true
	if err := ch.call(context.Background(), fakeAddr, pathHello, helloMessage{Worker: "w1"}, &resp); err == nil || !strings.Contains(err.Error(), "does not decrypt") {
		t.Errorf("an answer altered under a valid signature: %v, want an error saying it does not decrypt", err)
	}
}

// BenchmarkSeal is the encryption's own cost per body, sealed by the sender and opened by the
// receiver: a typical message (1 KiB: a try, a result) and a module (4 MiB). BenchmarkDispatch
// shows it within the noise of a whole dispatch.
func BenchmarkSeal(b *testing.B) {
	s := newSealer(testSecret)
	for _, size := range []int{1 << 10, 4 << 20} {
		b.Run(strconv.Itoa(size>>10)+"KiB", func(b *testing.B) {
			plain := make([]byte, size)
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := s.open(s.seal(plain, "ad"), "ad"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
