package cluster

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawRequest writes a request's head to addr as a stranger would, with the given headers and
// Content-Length, and returns the connection (the body, if any, is for the caller to send).
func rawRequest(t *testing.T, addr, method, path string, length int64, headers map[string]string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", method, path, addr, length)
	for k, v := range headers {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	return conn
}

// answer reads the response on conn, failing the test if none comes within 5 s: a node that
// waits for the body first never answers a request whose body is not sent.
func answer(t *testing.T, conn net.Conn) (*http.Response, string) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp, string(b)
}

func forged(now time.Time) map[string]string {
	return map[string]string{headerNode: "intruder", headerTime: strconv.FormatInt(now.Unix(), 10),
		headerBody: strings.Repeat("0", 64), headerSignature: strings.Repeat("ab", 32)}
}

// TestDataChannelAuthenticatesBeforeReading: a request without the cluster's signature is
// refused from its headers, with none of its body read: a stranger announcing a 512 MiB module
// gets 401 without sending a byte of it, and one streaming 64 MiB at a message endpoint is cut
// off with little allocated. A signed request still works; a signed head with another body,
// or announcing more than the endpoint takes, is refused too.
func TestDataChannelAuthenticatesBeforeReading(t *testing.T) {
	w, err := newTestWorker(t, "w1", "127.0.0.1:1", workerOpts{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	addr := w.Node().DataAddress()
	sha := strings.Repeat("1", 64)

	for name, h := range map[string]map[string]string{"forged": forged(time.Now()), "unsigned": nil} {
		conn := rawRequest(t, addr, http.MethodPut, pathModules+sha, maxModuleBytes, h)
		resp, body := answer(t, conn)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "signature") {
			t.Errorf("%s 512 MiB module, body not sent: %d %s, want 401 about the signature", name, resp.StatusCode, body)
		}
	}

	// 64 MiB streamed at /v1/tries with a forged signature: before the fix the worker read it
	// all (io.ReadAll: about 128 MiB allocated) before checking.
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	conn := rawRequest(t, addr, http.MethodPost, pathTries, maxMessageBytes, forged(time.Now()))
	sent := make(chan int64, 1)
	go func() {
		chunk := make([]byte, 32<<10)
		var n int64
		for n < maxMessageBytes {
			m, err := conn.Write(chunk)
			n += int64(m)
			if err != nil {
				break
			}
		}
		sent <- n
	}()
	resp, body := answer(t, conn)
	goruntime.ReadMemStats(&after)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged 64 MiB message: %d %s, want 401", resp.StatusCode, body)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 8<<20 {
		t.Errorf("refusing a forged 64 MiB message allocated %d MiB, want under 8 MiB", grown>>20)
	}
	conn.Close()
	if n := <-sent; n >= maxMessageBytes {
		t.Errorf("the worker took all %d bytes of a forged body, want it to hang up", n)
	}

	// A signed request works; the same signed head with another body of its length does not,
	// nor one that announces more than the endpoint takes (refused before it is sent).
	good, err := os.ReadFile(noopWasm)
	if err != nil {
		t.Fatal(err)
	}
	goodSHA := digest(good)
	ch := newChannel("server", testSecret, testLog(t))
	if status, b, err := ch.do(context.Background(), http.MethodPut, addr, pathModules+goodSHA, good); err != nil || status != http.StatusOK {
		t.Fatalf("signed module: %d %s %v", status, b, err)
	}
	if !w.modules.has(goodSHA) {
		t.Fatal("the signed module was not cached")
	}
	signedHead := func(path string, length int64, bodySHA string) map[string]string {
		now := time.Now()
		q := signedRequest{method: http.MethodPut, path: path, node: "server", unix: now.Unix(), length: length, bodySHA256: bodySHA}
		return map[string]string{headerNode: "server", headerTime: strconv.FormatInt(now.Unix(), 10), headerBody: bodySHA,
			headerSignature: ch.signer.request(q)}
	}
	other := append([]byte(nil), good...)
	other[len(other)-1] ^= 1
	otherSHA := sha256.Sum256(other)
	path := pathModules + hex.EncodeToString(otherSHA[:])
	conn = rawRequest(t, addr, http.MethodPut, path, int64(len(other)), signedHead(path, int64(len(other)), goodSHA))
	if _, err := conn.Write(other); err != nil {
		t.Fatal(err)
	}
	if resp, body := answer(t, conn); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "does not match the sha256") {
		t.Errorf("signed head, swapped body: %d %s, want 401", resp.StatusCode, body)
	}
	if w.modules.has(hex.EncodeToString(otherSHA[:])) {
		t.Error("a body swapped under a signed head was cached")
	}
	conn = rawRequest(t, addr, http.MethodPut, path, maxModuleBytes+sealOverhead+1, signedHead(path, maxModuleBytes+sealOverhead+1, goodSHA))
	if resp, body := answer(t, conn); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("signed head over the limit, body not sent: %d %s, want 413", resp.StatusCode, body)
	}
}
