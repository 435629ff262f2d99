package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/app/config"
	"github.com/wasmflow/wasmflow/scheduler"
)

// client is the CLI's way to a running server's API (`--server URL --token T`, or cli.server
// and cli.token): the commands a CI pipeline or a cron job uses work the same through it.
type client struct {
	base  string
	token string
	http  *http.Client
}

// remote returns the API client when --server or cli.server names a server, nil when the
// command works on the local home.
func (e *env) remote() (*client, error) {
	server, token := e.server, e.token
	if server == "" || token == "" {
		cfg, err := config.Load(e.io.Getenv)
		if err != nil {
			return nil, err
		}
		if server == "" {
			server = cfg.CLI.Server
		}
		if token == "" {
			token = cfg.CLI.Token
		}
	}
	if server == "" {
		return nil, nil
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{fmt.Errorf("--server %q is not a URL like http://host:8080", server)}
	}
	if token == "" {
		return nil, usageError{errors.New("--server needs --token (or WASMFLOW__CLI__TOKEN): get one with `wasmflow users token -u USER` on the server")}
	}
	return &client{base: strings.TrimRight(server, "/"), token: token, http: &http.Client{}}, nil
}

// path joins escaped path elements under /api/v1.
func apiPath(elems ...string) string {
	for i, e := range elems {
		elems[i] = url.PathEscape(e)
	}
	return "/api/v1/" + strings.Join(elems, "/")
}

// call sends a request and decodes the JSON answer into out (if not nil); an error answer
// becomes an error with the server's detail.
func (c *client) call(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body, 30*time.Second)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON expected: %v", method, path, err)
	}
	return nil
}

// send sends a request and returns a 2xx response (its body to be closed by the caller).
func (c *client) send(ctx context.Context, method, path string, body any, timeout time.Duration) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		context.AfterFunc(ctx, cancel)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach the server at %s: %w", c.base, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var p struct {
		Detail string `json:"detail"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &p) != nil || p.Detail == "" {
		p.Detail = strings.TrimSpace(string(b))
	}
	return nil, &apiError{status: resp.StatusCode, msg: fmt.Sprintf("the server said %s: %s", resp.Status, p.Detail)}
}

// apiError is a non-2xx answer of the server; its status tells a missing thing (404) apart.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// Is makes a 404 answer a scheduler.ErrNotFound, as the local home's errors are.
func (e *apiError) Is(target error) bool {
	return target == scheduler.ErrNotFound && e.status == http.StatusNotFound
}

// hasStatus reports whether err is the server's answer with that status.
func hasStatus(err error, status int) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.status == status
}

// listAll reads the pages of an Airflow list endpoint: the items under field, until
// total_entries are read, or max (0: no limit).
func listAll[T any](ctx context.Context, c *client, path, field string, q url.Values, max ...int) ([]T, error) {
	var out []T
	if q == nil {
		q = url.Values{}
	}
	for {
		q.Set("limit", "1000")
		q.Set("offset", strconv.Itoa(len(out)))
		var page map[string]json.RawMessage
		if err := c.call(ctx, "GET", path+"?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		var items []T
		var total int
		if err := json.Unmarshal(page[field], &items); err != nil {
			return nil, fmt.Errorf("GET %s: the answer has no %q list: %v", path, field, err)
		}
		json.Unmarshal(page["total_entries"], &total)
		out = append(out, items...)
		if len(max) > 0 && max[0] > 0 && len(out) >= max[0] {
			return out[:max[0]], nil
		}
		if len(items) == 0 || len(out) >= total {
			return out, nil
		}
	}
}

// sseEvent is one server-sent event.
type sseEvent struct {
	name string
	data []byte
}

// stream reads server-sent events from path until ctx ends or the server closes it.
func (c *client) stream(ctx context.Context, path string) (<-chan sseEvent, error) {
	resp, err := c.send(ctx, http.MethodGet, path, nil, 0)
	if err != nil {
		return nil, err
	}
	ch := make(chan sseEvent, 64)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					select {
					case ch <- ev:
					case <-ctx.Done():
						return
					}
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = append(ev.data, strings.TrimPrefix(line, "data: ")...)
			}
		}
	}()
	return ch, nil
}
