package sdk

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// ConnScheme is the URL scheme that names a connection: conn://CONN_ID/path?query calls the
// path on the connection's host, and the host adds the connection's credentials.
const ConnScheme = "conn"

// ConnURL is the URL of path on connection connID, for HTTPClient.
func ConnURL(connID, path string) string {
	return ConnScheme + "://" + connID + "/" + strings.TrimPrefix(path, "/")
}

// HTTPClient is an *http.Client whose requests the wasmflow host makes: to hosts in the task's
// allow_hosts by URL, or through a granted connection by ConnURL ("conn://my_api/v1/items").
// The host follows redirects (to granted hosts only), so the client does not.
//
//	resp, err := sdk.HTTPClient().Get(sdk.ConnURL("my_api", "/v1/items"))
//
// A refusal is an error wrapping a *CallError (errors.Is(err, sdk.ErrDenied)).
func HTTPClient() *http.Client {
	return &http.Client{
		Transport: Transport{},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Transport is the http.RoundTripper of HTTPClient: one http_request host call per request.
type Transport struct{}

type httpRequest struct {
	Method  string      `json:"method"`
	URL     string      `json:"url,omitempty"`
	ConnID  string      `json:"conn_id,omitempty"`
	Path    string      `json:"path,omitempty"`
	Headers http.Header `json:"headers,omitempty"`
	Body    []byte      `json:"body,omitempty"`
}

type httpResponse struct {
	Status  int         `json:"status"`
	Headers http.Header `json:"headers"`
	Body    []byte      `json:"body"`
}

// RoundTrip implements http.RoundTripper.
func (Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	hr := httpRequest{Method: req.Method, Headers: req.Header}
	if req.URL.Scheme == ConnScheme {
		hr.ConnID = req.URL.Host
		hr.Path = (&url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}).RequestURI()
	} else {
		hr.URL = req.URL.String()
	}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("sdk: read the request body: %w", err)
		}
		hr.Body = b
	}
	reqBuf.Lock()
	enc := appendHTTPRequest(reqBuf.b[:0], &hr)
	resp, err := callRawBytes("http_request", enc)
	if cap(enc) <= 64<<10 { // kept for the next request, unless a big body grew it
		reqBuf.b = enc
	}
	reqBuf.Unlock()
	if err != nil {
		return nil, err
	}
	var out httpResponse
	if err := decodeHTTPResponse(resp, &out); err != nil {
		return nil, fmt.Errorf("sdk: http_request: decode the response: %w", err)
	}
	body := &responseBody{}
	body.Reset(out.Body)
	return &http.Response{
		Status:        statusLine(out.Status),
		StatusCode:    out.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        out.Headers,
		Body:          body,
		ContentLength: int64(len(out.Body)),
		Request:       req,
	}, nil
}

// reqBuf is the buffer requests are encoded into, one at a time: the host copies a request
// before it answers. In a module every allocation costs microseconds, and RoundTrip makes as
// few as it can: this buffer, the response body and its reader, the response.
var reqBuf struct {
	sync.Mutex
	b []byte
}

// responseBody is a response's Body: one allocation where io.NopCloser(bytes.NewReader(b))
// made two. Its WriteTo lets io.Copy and io.ReadAll skip their buffers.
type responseBody struct{ bytes.Reader }

// Close implements io.Closer.
func (*responseBody) Close() error { return nil }

// statusLine is the Status of a response, "200 OK": a constant for the usual codes.
func statusLine(code int) string {
	switch code {
	case http.StatusOK:
		return "200 OK"
	case http.StatusCreated:
		return "201 Created"
	case http.StatusNoContent:
		return "204 No Content"
	case http.StatusNotModified:
		return "304 Not Modified"
	case http.StatusNotFound:
		return "404 Not Found"
	}
	return strconv.Itoa(code) + " " + http.StatusText(code)
}
