package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// The data channel carries what gossip must not: try payloads, module bytes, log lines,
// results and XCom lookups. It is HTTP/1.1 between nodes, every request and response signed
// with an HMAC-SHA256 keyed by the cluster secret (see signer): a request without a valid
// signature gets 401 and is not acted on. A request's signature is in its headers and covers
// its body's length and sha256, so it is checked before the body is read. Every body, a
// request's or a response's, is encrypted (see sealer): a try's env, its module and XComs do
// not cross the network readable. Only the heads are clear: paths (a module's sha256), node
// names, times, and the refusals a node sends to whoever lacks the secret.
//
// Server → worker:
//
//	POST /v1/tries            submitRequest → submitResponse (accepted | need_module | refused)
//	PUT  /v1/modules/{sha256} the module's bytes; the worker checks their sha256 and caches them
//	POST /v1/kill             killRequest
//
// Worker → server:
//
//	POST /v1/results          resultMessage; 200 only once the scheduler has it, else resent
//	POST /v1/logs             logMessage, appended to the try's log file on the server
//	POST /v1/xcom             xcomRequest → xcomResponse (wasmflow.xcom_pull)
//	POST /v1/hello            helloMessage → helloResponse: the tries a worker runs, when it
//	                          finds a server, and every few seconds after (a restarted server
//	                          can answer at the very same addresses)
//
// Any node (`wasmflow cluster members`, joined as an observer) → server:
//
//	POST /v1/members          {} → membersResponse: every member as the server sees it, the
//	                          dead and left too, which gossip does not tell a newcomer
const (
	pathTries   = "/v1/tries"
	pathModules = "/v1/modules/"
	pathKill    = "/v1/kill"
	pathResults = "/v1/results"
	pathLogs    = "/v1/logs"
	pathXCom    = "/v1/xcom"
	pathHello   = "/v1/hello"
	pathMembers = "/v1/members"
)

// Body limits: module bytes, and everything else (a result with its XComs and log tail).
const (
	maxModuleBytes  = 512 << 20
	maxMessageBytes = 64 << 20
)

type submitRequest struct {
	ID           string             `json:"id"`
	Server       string             `json:"server"`
	ModuleSHA256 string             `json:"module_sha256"`
	Workload     scheduler.Workload `json:"workload"`
	// Connections are the workload's resolved connections, secrets included: they go in
	// the request explicitly (Workload.Connections is never encoded), and the channel seals
	// every body (seal.go).
	Connections map[string]tasks.Connection `json:"connections,omitempty"`
}

// Answers to a submitRequest.
const (
	submitAccepted   = "accepted"
	submitNeedModule = "need_module"
	submitRefused    = "refused"
)

type submitResponse struct {
	Status string `json:"status"`
	SHA256 string `json:"sha256,omitempty"` // need_module: the module to send
	Reason string `json:"reason,omitempty"` // refused: draining, full
	// Instance identifies the worker process that answered, new at each start.
	Instance string `json:"instance,omitempty"`
}

type killRequest struct {
	ID string `json:"id"`
}

type resultMessage struct {
	ID     string              `json:"id"`
	Worker string              `json:"worker"`
	Result scheduler.TryResult `json:"result"`
	// Log is the end of the try's log that could not be streamed (the server was away).
	Log []byte `json:"log,omitempty"`
}

type logMessage struct {
	ID        string          `json:"id"`
	Key       scheduler.TIKey `json:"key"`
	TryNumber int             `json:"try_number"`
	Data      []byte          `json:"data"`
}

type xcomRequest struct {
	ID     string          `json:"id"`
	Key    scheduler.TIKey `json:"key"` // the try asking: its DagRun is searched
	TaskID string          `json:"task_id"`
	XKey   string          `json:"xcom_key"`
}

type xcomResponse struct {
	Found bool   `json:"found"`
	Value []byte `json:"value,omitempty"`
}

type runningTry struct {
	ID        string          `json:"id"`
	Key       scheduler.TIKey `json:"key"`
	TryNumber int             `json:"try_number"`
	Queue     string          `json:"queue,omitempty"`
}

type helloMessage struct {
	Worker string `json:"worker"`
	// Instance identifies the worker process: tries another process of the same worker took
	// are gone with it (a worker restarted at once on the same address is never seen dead).
	Instance string `json:"instance,omitempty"`
	// DataAddr is the worker's data channel: only the process there speaks for the tries
	// given to that address (another node misnamed like it does not).
	DataAddr string       `json:"data_addr,omitempty"`
	Running  []runningTry `json:"running"`
	// Greeted is the server process this worker greeted last (helloResponse.Instance): the
	// same one has nothing to adopt.
	Greeted string `json:"greeted,omitempty"`
}

type helloResponse struct {
	// Instance identifies the server process, new at each start.
	Instance string `json:"instance"`
}

type membersResponse struct {
	Members []Member `json:"members"`
}

type errorBody struct {
	Error string `json:"error"`
}

// StatusError is a data channel answer other than 200.
type StatusError struct {
	Addr, Path string
	Status     int
	Message    string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s%s: %d %s: %s", e.Addr, e.Path, e.Status, http.StatusText(e.Status), e.Message)
}

// channel is one node's end of the data channel: it signs what it sends and checks what it
// receives.
type channel struct {
	name   string
	signer signer
	sealer sealer
	log    *slog.Logger
	hc     *http.Client
}

func newChannel(name, secret string, log *slog.Logger) *channel {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	return &channel{name: name, signer: signer{key: channelKey(secret)}, sealer: newSealer(secret), log: log, hc: &http.Client{Transport: tr}}
}

func (c *channel) close() { c.hc.CloseIdleConnections() }

// handle registers a signed route: fn runs only for a request signed with the cluster secret
// and returns the status and the answer (JSON, or raw []byte). The signature is checked from
// the headers before any of the body is read, so a stranger cannot make a node read (or hold)
// up to maxBody bytes; the body, read only up to its signed length, must then match its
// signed sha256 and decrypt. fn gets the body decrypted, of at most maxBody bytes.
func (c *channel) handle(mux *http.ServeMux, pattern string, maxBody int64, fn func(r *http.Request, body []byte) (int, any)) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sig := r.Header.Get(headerSignature)
		q := signedRequest{method: r.Method, path: r.URL.Path, node: r.Header.Get(headerNode), length: r.ContentLength,
			bodySHA256: r.Header.Get(headerBody)}
		if err := c.signer.check(q, r.Header.Get(headerTime), sig, time.Now()); err != nil {
			c.refuse(w, r, http.StatusUnauthorized, err)
			return
		}
		if r.ContentLength > maxBody+sealOverhead {
			c.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Errorf("the body of %d bytes is over this endpoint's %d", r.ContentLength-sealOverhead, maxBody))
			return
		}
		q.unix, _ = strconv.ParseInt(r.Header.Get(headerTime), 10, 64) // checked with the signature
		body, err := readBody(r.Body, r.ContentLength)
		if err == nil {
			err = checkBody(q.bodySHA256, body)
		}
		if err == nil {
			body, err = c.sealer.open(body, requestAD(q))
		}
		if err != nil {
			c.refuse(w, r, http.StatusUnauthorized, err)
			return
		}
		status, out := fn(r, body)
		c.reply(w, sig, status, out)
	})
}

// refuse answers a request that is not acted on, unsigned (the sender may not have the secret
// to check a signature with). The connection is closed rather than drained of the body.
func (c *channel) refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	c.log.Warn("refused a data channel request", "from", r.RemoteAddr, "path", logPath(r.URL.Path), "status", status, "err", err)
	w.Header().Set("Connection", "close")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{err.Error()})
}

// readBody reads exactly the signed length of a body: no more is read even if more is sent.
func readBody(r io.Reader, length int64) ([]byte, error) {
	if length <= 0 {
		return nil, nil
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("read the body of %d bytes: %w", length, err)
	}
	return body, nil
}

// logPath is a request's path as the log shows it: a stranger's cannot fill the log.
func logPath(p string) string {
	if len(p) > 128 {
		return fmt.Sprintf("%s…(%d bytes)", p[:128], len(p))
	}
	return p
}

// reply answers a signed request: the answer is sealed, then signed.
func (c *channel) reply(w http.ResponseWriter, reqSig string, status int, out any) {
	var b []byte
	switch v := out.(type) {
	case []byte:
		b = v
	default:
		b, _ = json.Marshal(v)
	}
	b = c.sealer.seal(b, responseAD(reqSig, status))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set(headerSignature, c.signer.response(reqSig, status, b))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// do sends one sealed and signed request to addr, checks the answer's signature and returns
// it decrypted.
func (c *channel) do(ctx context.Context, method, addr, path string, body []byte) (int, []byte, error) {
	unix := time.Now().Unix()
	body = c.sealer.seal(body, requestAD(signedRequest{method: method, path: path, node: c.name, unix: unix}))
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	q := newSignedRequest(method, path, c.name, unix, body)
	sig := c.signer.request(q)
	req.Header.Set(headerNode, c.name)
	req.Header.Set(headerTime, strconv.FormatInt(q.unix, 10))
	req.Header.Set(headerBody, q.bodySHA256)
	req.Header.Set(headerSignature, sig)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxMessageBytes+sealOverhead))
	if err != nil {
		return 0, nil, fmt.Errorf("read answer of %s%s: %w", addr, path, err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		var e errorBody
		_ = json.Unmarshal(rb, &e)
		return 0, nil, &StatusError{Addr: addr, Path: path, Status: resp.StatusCode, Message: e.Error}
	}
	if got := resp.Header.Get(headerSignature); got != c.signer.response(sig, resp.StatusCode, rb) {
		return 0, nil, fmt.Errorf("%s%s: the answer is not signed with this cluster's secret", addr, path)
	}
	if rb, err = c.sealer.open(rb, responseAD(sig, resp.StatusCode)); err != nil {
		return 0, nil, fmt.Errorf("%s%s: answer: %w", addr, path, err)
	}
	return resp.StatusCode, rb, nil
}

// call POSTs in as JSON and decodes a 200 answer into out; any other status is a *StatusError.
func (c *channel) call(ctx context.Context, addr, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	status, rb, err := c.do(ctx, http.MethodPost, addr, path, body)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		var e errorBody
		_ = json.Unmarshal(rb, &e)
		return &StatusError{Addr: addr, Path: path, Status: status, Message: e.Error}
	}
	if out != nil {
		if err := json.Unmarshal(rb, out); err != nil {
			return fmt.Errorf("%s%s: decode answer: %w", addr, path, err)
		}
	}
	return nil
}

// decode reads a JSON request body into v, as a 400 answer when it does not parse.
func decode(body []byte, v any) (int, any) {
	if err := json.Unmarshal(body, v); err != nil {
		return http.StatusBadRequest, errorBody{fmt.Sprintf("decode request: %v", err)}
	}
	return 0, nil
}

// isStatus reports whether err is a data channel answer with this status.
func isStatus(err error, status int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == status
}
