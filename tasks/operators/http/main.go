// Command http is the module of the built-in operator `operator: http` (Airflow's
// HttpOperator): it makes one request through the host (sdk.Transport, so only a granted
// connection or an allow_hosts host is reached), checks the response with response_check and
// pushes response_filter's value, or the body, as the return_value XCom.
//
// response_check and response_filter are expr-lang expressions over status, headers, text and
// json. The parser compiled them against the same names (tasks/operator.go, so a typo is an
// import error at its line and column); this module compiles them again and evaluates them
// here, inside the sandbox, so the response never has to leave the module to be judged.
//
// Built with GOOS=wasip1 GOARCH=wasm by `make operators`.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/wasmflow/wasmflow/tasks/operators/guest"
	"github.com/wasmflow/wasmflow/tasks/sdk"
)

// bodyHead is how much of a failing response's body the error quotes.
const bodyHead = 512

func main() { guest.Main("http", run) }

func run(in guest.Input) ([]byte, error) {
	if in.Fields["method"] == "" && in.Operator == "http_sensor" {
		in.Fields["method"] = http.MethodGet // Airflow's HttpSensor default
	}
	req, err := request(in.Fields)
	if err != nil {
		return nil, err
	}
	// The transport itself, not sdk.HTTPClient(): http.Client's code brings net/http's own
	// Transport and TLS into the module (16 MB instead of 10), which every try reads and
	// instantiates, and the host follows redirects anyway.
	resp, err := sdk.Transport{}.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, target(in.Fields), err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the body: %w", req.Method, target(in.Fields), err)
	}
	e := responseEnv(resp, body)
	what := fmt.Sprintf("%s %s answered %d", req.Method, target(in.Fields), resp.StatusCode)
	check := in.Fields["response_check"]
	if in.Operator == "http_sensor" {
		return nil, poke(what, check, e, body)
	}
	if check == "" && resp.StatusCode >= 400 {
		// As Airflow's HttpHook with check_response: a 4xx or 5xx fails the task.
		return nil, fmt.Errorf("%s: %s", what, head(body))
	}
	if check != "" {
		ok, err := evalBool(check, e)
		if err != nil {
			return nil, fmt.Errorf("response_check %q: %w", check, err)
		}
		if !ok {
			return nil, fmt.Errorf("%s and response_check %q is false: %s", what, check, head(body))
		}
	}
	filter := in.Fields["response_filter"]
	if filter == "" {
		return body, nil
	}
	v, err := evalAny(filter, e)
	if err != nil {
		return nil, fmt.Errorf("response_filter %q: %w", filter, err)
	}
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("response_filter %q: its value is not JSON: %w", filter, err)
	}
	return b, nil
}

// poke is http_sensor's verdict, as Airflow's HttpSensor: a 404 (without a check) or a false
// check is not yet; another 4xx or 5xx fails; otherwise the condition holds.
func poke(what, check string, e env, body []byte) error {
	if check == "" {
		switch {
		case e.Status == 404:
			return fmt.Errorf("%w: %s", guest.ErrNotYet, what)
		case e.Status >= 400:
			return fmt.Errorf("%s: %s", what, head(body))
		}
		sdk.Logf("%s: met", what)
		return nil
	}
	ok, err := evalBool(check, e)
	if err != nil {
		return fmt.Errorf("response_check %q: %w", check, err)
	}
	if !ok {
		return fmt.Errorf("%w: %s and response_check %q is false", guest.ErrNotYet, what, check)
	}
	sdk.Logf("%s and response_check %q holds", what, check)
	return nil
}

// request builds the request the fields describe: http_conn_id + endpoint through the
// connection, or url (with endpoint appended, if any) to an allow_hosts host.
func request(f map[string]string) (*http.Request, error) {
	method := f["method"]
	if method == "" {
		method = http.MethodPost // Airflow's HttpOperator default
	}
	var body io.Reader
	if f["data"] != "" {
		body = strings.NewReader(f["data"])
	}
	req, err := http.NewRequest(method, target(f), body)
	if err != nil {
		return nil, fmt.Errorf("the request URL %q: %w", target(f), err)
	}
	if h := f["headers"]; h != "" {
		var headers map[string]string
		if err := json.Unmarshal([]byte(h), &headers); err != nil {
			return nil, fmt.Errorf("headers must be a JSON object of strings, e.g. '{\"Accept\": \"application/json\"}': %v", err)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
	}
	return req, nil
}

// target is the request's URL: conn://ID/endpoint, or url + endpoint.
func target(f map[string]string) string {
	if c := f["http_conn_id"]; c != "" {
		return sdk.ConnURL(c, f["endpoint"])
	}
	u := f["url"]
	if e := f["endpoint"]; e != "" {
		u = strings.TrimSuffix(u, "/") + "/" + strings.TrimPrefix(e, "/")
	}
	return u
}

// env is what response_check and response_filter see: a copy of tasks.ResponseEnv, which the
// parser compiled them against (not imported: the tasks package would bring the parser into
// the module).
type env struct {
	Status  int               `expr:"status"`
	Headers map[string]string `expr:"headers"`
	Text    string            `expr:"text"`
	JSON    any               `expr:"json"`
}

// responseEnv fills env from the response; json is nil when the body is not JSON.
func responseEnv(resp *http.Response, body []byte) env {
	headers := make(map[string]string, len(resp.Header))
	for k, v := range resp.Header {
		headers[k] = strings.Join(v, ", ")
	}
	var js any
	if json.Unmarshal(body, &js) != nil {
		js = nil
	}
	return env{Status: resp.StatusCode, Headers: headers, Text: string(body), JSON: js}
}

func evalBool(src string, e env) (bool, error) {
	prog, err := expr.Compile(src, expr.Env(e), expr.AsBool())
	if err != nil {
		return false, err
	}
	v, err := expr.Run(prog, e)
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

func evalAny(src string, e env) (any, error) {
	prog, err := expr.Compile(src, expr.Env(e))
	if err != nil {
		return nil, err
	}
	return expr.Run(prog, e)
}

// head is the start of a body for an error message.
func head(body []byte) string {
	if len(body) > bodyHead {
		return string(body[:bodyHead]) + "..."
	}
	if len(body) == 0 {
		return "(empty body)"
	}
	return string(body)
}
