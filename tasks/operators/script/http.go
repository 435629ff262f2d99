package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/dop251/goja"
	"github.com/wasmflow/wasmflow/tasks/sdk"
)

// httpRequest is what a script passes to http(...): a URL string (a GET), or an object with
// conn_id + endpoint (through a granted connection, whose credentials the host adds) or url
// (a host in the task's allow_hosts), and method, headers and data. The names are those of
// `operator: http`'s fields.
type httpRequest struct {
	ConnID, Endpoint, URL, Method string
	Headers                       map[string]string
	Data                          any // a string as it is; anything else sent as JSON
}

// defineHTTP gives the script http(request): one synchronous request made by the host under
// the task's grants (the http_request host call, as `operator: http` makes it). It answers
// {status, headers, text, json} whatever the status, as fetch does; a refused or failed
// request throws an Error with the host's reason.
func defineHTTP(vm *goja.Runtime) error {
	return vm.Set("http", func(call goja.FunctionCall) goja.Value {
		req, err := scriptRequest(call.Argument(0))
		if err != nil {
			panic(jsError(vm, err.Error()))
		}
		resp, err := roundTrip(req)
		if err != nil {
			panic(jsError(vm, err.Error()))
		}
		return vm.ToValue(resp)
	})
}

// scriptRequest reads http(...)'s argument into a request.
func scriptRequest(arg goja.Value) (*http.Request, error) {
	var r httpRequest
	switch {
	case goja.IsUndefined(arg) || goja.IsNull(arg):
		return nil, errors.New(`http() needs a URL or {conn_id, endpoint} or {url}: http({conn_id: "my_api", endpoint: "/items"})`)
	case isString(arg):
		r.URL = arg.String()
	default:
		obj, ok := arg.Export().(map[string]any)
		if !ok {
			return nil, fmt.Errorf("http() takes a URL or an object, not %s", arg.String())
		}
		r = requestOf(obj)
	}
	target := r.URL
	switch {
	case r.ConnID != "" && r.URL != "":
		return nil, errors.New("http(): give conn_id or url, not both")
	case r.ConnID != "":
		target = sdk.ConnURL(r.ConnID, r.Endpoint)
	case r.URL == "":
		return nil, errors.New(`http(): give conn_id (a granted connection) or url (a host in allow_hosts)`)
	case r.Endpoint != "":
		target = strings.TrimSuffix(r.URL, "/") + "/" + strings.TrimPrefix(r.Endpoint, "/")
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	body, contentType, err := requestBody(r.Data)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, fmt.Errorf("http(): %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	return req, nil
}

// requestOf reads the request object's fields; other values are written as text.
func requestOf(obj map[string]any) httpRequest {
	text := func(k string) string {
		if v, ok := obj[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	r := httpRequest{ConnID: text("conn_id"), Endpoint: text("endpoint"), URL: text("url"), Method: text("method"), Data: obj["data"]}
	if h, ok := obj["headers"].(map[string]any); ok {
		r.Headers = make(map[string]string, len(h))
		for k, v := range h {
			r.Headers[k] = fmt.Sprint(v)
		}
	}
	return r
}

// requestBody is data as sent: a string as it is, an object or array as JSON.
func requestBody(data any) (io.Reader, string, error) {
	switch d := data.(type) {
	case nil:
		return nil, "", nil
	case string:
		return strings.NewReader(d), "", nil
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, "", fmt.Errorf("http(): data is not JSON: %v", err)
	}
	return strings.NewReader(string(b)), "application/json", nil
}

// roundTrip makes the request through the host and shapes the answer as operator: http's
// response_check sees it: status, headers (canonical names, values joined with ", "), text,
// json (null if the body is not JSON).
func roundTrip(req *http.Request) (map[string]any, error) {
	what := req.Method + " " + req.URL.String()
	resp, err := sdk.Transport{}.RoundTrip(req)
	if err != nil {
		var ce *sdk.CallError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("http %s: %s", what, ce.Message)
		}
		return nil, fmt.Errorf("http %s: %v", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("http %s: read the body: %v", what, err)
	}
	headers := make(map[string]any, len(resp.Header))
	for k, v := range resp.Header {
		headers[k] = strings.Join(v, ", ")
	}
	var js any
	if json.Unmarshal(body, &js) != nil {
		js = nil
	}
	return map[string]any{"status": resp.StatusCode, "headers": headers, "text": string(body), "json": js}, nil
}

func isString(v goja.Value) bool {
	_, ok := v.Export().(string)
	return ok
}

// jsError is an Error the script can catch, with the message as its message.
func jsError(vm *goja.Runtime, msg string) goja.Value {
	ctor, _ := goja.AssertConstructor(vm.Get("Error"))
	if ctor == nil {
		return vm.ToValue(msg)
	}
	obj, err := ctor(nil, vm.ToValue(msg))
	if err != nil {
		return vm.ToValue(msg)
	}
	return obj
}
