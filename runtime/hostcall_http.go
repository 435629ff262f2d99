package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// httpRequest is the JSON request of http_request: either url (plain HTTP to a host in
// allow_hosts) or conn_id and path (through a granted connection, which adds its credentials).
type httpRequest struct {
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	ConnID  string      `json:"conn_id"`
	Path    string      `json:"path"`
	Headers http.Header `json:"headers"`
	Body    []byte      `json:"body"` // base64 in the JSON
}

// httpResponse is the JSON response of http_request.
type httpResponse struct {
	Status  int         `json:"status"`
	Headers http.Header `json:"headers"`
	Body    []byte      `json:"body"` // base64 in the JSON
}

// hopPolicy is what the redirects and dials of one http_request may reach besides allow_hosts:
// the connection's own host, if the call goes through one. It travels in the request's context.
type hopPolicy struct {
	connID   string
	connHost hostPort
	credKeys []string // the headers the host added, dropped when a redirect leaves connHost
}

type hopPolicyKey struct{}

func httpCall(ctx context.Context, cs *callState, raw []byte, rec *Call) (any, error) {
	var req httpRequest
	if err := decodeRequest(hostFuncHTTPRequest, raw, &req); err != nil {
		return nil, err
	}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	if !validMethod(req.Method) {
		return nil, badRequest("http_request: method %q is not an HTTP method", req.Method)
	}
	target, hop, creds, err := cs.httpTarget(req)
	if err != nil {
		rec.Target, rec.Op = targetOf(req, nil), opOf(req)
		return nil, err
	}
	rec.Target, rec.Op = targetOf(req, target), req.Method+" "+pathOf(target)
	rec.BytesOut = int64(len(req.Body))
	if int64(len(req.Body)) > cs.limits.MaxRequestBytes {
		return nil, overLimit(true, "http_request %s: the body is %d bytes, over the limit of %d bytes", rec.Op, len(req.Body), cs.limits.MaxRequestBytes)
	}

	hreq, err := http.NewRequestWithContext(context.WithValue(ctx, hopPolicyKey{}, hop), req.Method, target.String(), bytes.NewReader(req.Body))
	if err != nil {
		return nil, badRequest("http_request: %v", err)
	}
	for k, vs := range req.Headers {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	for k, vs := range creds { // the connection's credentials win over the module's headers
		hreq.Header[k] = vs
	}

	resp, err := cs.httpClient().Do(hreq)
	if err != nil {
		return nil, cs.httpError(ctx, rec.Op, target, err)
	}
	defer resp.Body.Close()
	rec.Status = resp.StatusCode
	body, err := io.ReadAll(io.LimitReader(resp.Body, cs.limits.MaxResponseBytes+1))
	rec.BytesIn = int64(len(body))
	if err != nil {
		return nil, cs.httpError(ctx, rec.Op, target, err)
	}
	if int64(len(body)) > cs.limits.MaxResponseBytes {
		return nil, overLimit(false, "http_request %s: the response body is over the limit of %d bytes (status %d)", rec.Op, cs.limits.MaxResponseBytes, resp.StatusCode)
	}
	return httpResponse{Status: resp.StatusCode, Headers: resp.Header, Body: body}, nil
}

// httpTarget checks the request against the grants and returns the URL to call, the hops it
// may take and the credentials to add.
func (cs *callState) httpTarget(req httpRequest) (*url.URL, *hopPolicy, http.Header, error) {
	switch {
	case req.URL != "" && req.ConnID != "":
		return nil, nil, nil, badRequest("http_request: give either url or conn_id (with path), not both")
	case req.ConnID != "":
		conn, ok := cs.grants.Connections[req.ConnID]
		if !ok {
			return nil, nil, nil, denied("connection %q is not granted: add %q to the task's connections", req.ConnID, req.ConnID)
		}
		base, err := connBaseURL(conn)
		if err != nil {
			return nil, nil, nil, err
		}
		target, err := joinPath(base, req.Path)
		if err != nil {
			return nil, nil, nil, err
		}
		creds, err := connCredentials(conn)
		if err != nil {
			return nil, nil, nil, err
		}
		hop := &hopPolicy{connID: conn.ConnID, connHost: hostPortOf(base)}
		for k := range creds {
			hop.credKeys = append(hop.credKeys, k)
		}
		return target, hop, creds, nil
	case req.URL != "":
		u, err := url.Parse(req.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, nil, badRequest("http_request: url %q is not an absolute http or https URL", req.URL)
		}
		if err := cs.checkHost(hostPortOf(u), nil, "host"); err != nil {
			return nil, nil, nil, err
		}
		return u, &hopPolicy{}, nil, nil
	}
	return nil, nil, nil, badRequest("http_request: give url, or conn_id and path")
}

// checkHost allows a host:port granted by allow_hosts or that is the connection's own.
func (cs *callState) checkHost(hp hostPort, hop *hopPolicy, what string) error {
	if hop != nil && hop.connID != "" && hp == hop.connHost {
		return nil
	}
	for _, r := range cs.allow {
		if r.matches(hp) {
			return nil
		}
	}
	return denied("%s %s is not granted: add %q to allow_hosts", what, hp.host, hp.String())
}

// httpClient is the try's client, made on its first HTTP call: one connection pool per try,
// closed after it. It never uses a proxy from the host's environment, follows redirects only to
// granted hosts and dials only allowed addresses.
func (cs *callState) httpClient() *http.Client {
	if cs.client != nil {
		return cs.client
	}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            cs.dial,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           8,
		IdleConnTimeout:        30 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	cs.client = &http.Client{Transport: tr, CheckRedirect: cs.checkRedirect}
	return cs.client
}

// checkRedirect re-checks every hop against the grants, and drops the connection's credentials
// when a hop leaves the connection's host.
func (cs *callState) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > cs.limits.MaxRedirects {
		return overLimit(false, "stopped after %d redirects", cs.limits.MaxRedirects)
	}
	hop, _ := req.Context().Value(hopPolicyKey{}).(*hopPolicy)
	hp := hostPortOf(req.URL)
	if err := cs.checkHost(hp, hop, "redirect to host"); err != nil {
		return err
	}
	if hop != nil && hp != hop.connHost {
		for _, k := range hop.credKeys {
			req.Header.Del(k)
		}
	}
	return nil
}

// dial connects to a host the request was granted. An address literal was named by the grant,
// so it is dialed as is; a name is resolved here, and addresses that reach this machine or a
// private network are refused behind it.
func (cs *callState) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return cs.net.Dial(ctx, network, addr)
	}
	ips, err := cs.safeAddrs(ctx, host, port)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, ip := range ips {
		c, err := cs.net.Dial(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// safeAddrs resolves a host name and keeps the addresses a name may lead to.
func (cs *callState) safeAddrs(ctx context.Context, host, port string) ([]netip.Addr, error) {
	ips, err := cs.net.LookupIP(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	var ok []netip.Addr
	var first netip.Addr
	var why string
	for _, ip := range ips {
		if r := checkAddr(ip); r != "" {
			if why == "" {
				first, why = ip.Unmap(), r
			}
			continue
		}
		ok = append(ok, ip)
	}
	if len(ok) == 0 {
		if why == "" {
			return nil, fmt.Errorf("resolve %s: no address", host)
		}
		granted := net.JoinHostPort(first.String(), port)
		return nil, denied("host %s resolves to %s, %s, which a name may not lead to: if that is intended, "+
			"grant the address (add %q to allow_hosts, or make it the connection's host) and call it by address", host, first, why, granted)
	}
	return ok, nil
}

// httpError explains a failed call: a refusal keeps its message, a timeout says which limit.
func (cs *callState) httpError(ctx context.Context, op string, target *url.URL, err error) error {
	var de *deniedError
	var ce *callError
	switch {
	case errors.As(err, &de):
		return de
	case errors.As(err, &ce):
		return &callError{ce.code, ce.refused, fmt.Sprintf("http_request %s: %s", op, ce.msg)}
	case ctx.Err() != nil:
		return cs.stopped(ctx, "http_request "+op+" to "+target.Host)
	}
	return callFailed("http_request %s to %s: %v", op, target.Host, unwrapURLError(err))
}

// unwrapURLError drops net/http's "Get "url": " prefix, which would repeat the query string.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// connBaseURL is where an http connection points, as Airflow's HttpHook reads it: host may be
// a whole URL ("https://api.example.com/v2"); otherwise schema is the scheme (default http) and
// port, when set, the port.
func connBaseURL(c tasks.Connection) (*url.URL, error) {
	switch strings.ToLower(c.ConnType) {
	case "http", "https", "":
	default:
		return nil, badRequest("http_request: connection %q is a %s connection, not http", c.ConnID, c.ConnType)
	}
	var u *url.URL
	if strings.Contains(c.Host, "://") {
		var err error
		if u, err = url.Parse(c.Host); err != nil {
			return nil, callFailed("http_request: connection %q: host %q is not a URL: %v", c.ConnID, c.Host, err)
		}
	} else {
		scheme := strings.ToLower(c.Schema)
		if scheme == "" {
			scheme = "http"
		}
		u = &url.URL{Scheme: scheme, Host: c.Host}
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" {
		return nil, callFailed("http_request: connection %q does not name an http or https host (host %q, schema %q)", c.ConnID, c.Host, c.Schema)
	}
	if c.Port != 0 {
		u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(c.Port))
	}
	return u, nil
}

// joinPath appends the module's path (with its query) to the connection's base URL.
func joinPath(base *url.URL, p string) (*url.URL, error) {
	ref, err := url.Parse(p)
	if err != nil || ref.Scheme != "" || ref.Host != "" || ref.User != nil {
		return nil, badRequest("http_request: path %q must be a path (with a query, if any), not a URL", p)
	}
	u := *base
	u.Path = strings.TrimSuffix(base.Path, "/") + "/" + strings.TrimPrefix(ref.Path, "/")
	u.RawPath = ""
	u.RawQuery = ref.RawQuery
	return &u, nil
}

// connCredentials are the headers the host adds for a connection: basic auth from login and
// password, a bearer token from extra {"token": "..."}, and any extra {"headers": {...}}.
func connCredentials(c tasks.Connection) (http.Header, error) {
	h := http.Header{}
	if c.Login != "" || c.Password != "" {
		r := &http.Request{Header: h}
		r.SetBasicAuth(c.Login, c.Password)
	}
	if strings.TrimSpace(c.Extra) == "" {
		return h, nil
	}
	var extra struct {
		Token   string            `json:"token"`
		Headers map[string]string `json:"headers"`
	}
	if err := json.Unmarshal([]byte(c.Extra), &extra); err != nil {
		// Not the module's fault, and the message must not quote the extra (it holds secrets).
		return nil, callFailed("http_request: connection %q: extra is not a JSON object of strings (token, headers): fix the connection", c.ConnID)
	}
	if extra.Token != "" {
		h.Set("Authorization", "Bearer "+extra.Token)
	}
	for k, v := range extra.Headers {
		h.Set(k, v)
	}
	return h, nil
}

// hostPortOf is a URL's host and port, the scheme's default port when it has none.
func hostPortOf(u *url.URL) hostPort {
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = 80
		if u.Scheme == "https" {
			port = 443
		}
	}
	return hostPort{host: normalizeHost(u.Hostname()), port: port}
}

// targetOf is the record's target: the conn_id, or the host with a port that is not the
// scheme's default.
func targetOf(req httpRequest, u *url.URL) string {
	if req.ConnID != "" {
		return req.ConnID
	}
	if u == nil {
		if u, _ = url.Parse(req.URL); u == nil {
			return ""
		}
	}
	hp := hostPortOf(u)
	if u.Port() == "" {
		return hp.host
	}
	return hp.String()
}

// opOf is the record's method and path of a request refused before its URL was made.
func opOf(req httpRequest) string {
	p := req.Path
	if req.ConnID == "" {
		p = req.URL
	}
	u, err := url.Parse(p)
	if err != nil {
		return req.Method
	}
	return req.Method + " " + pathOf(u)
}

// pathOf is the record's path: no query string, which may carry a key.
func pathOf(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

func validMethod(m string) bool {
	if m == "" || len(m) > 32 {
		return false
	}
	for _, c := range m {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
