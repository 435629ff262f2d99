package runtime

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/internal/pgtest"
	"github.com/wasmflow/wasmflow/tasks"
)

// ioLimits are the limits of the granted-I/O tests: small, so each can be crossed cheaply.
var ioLimits = CallLimits{MaxResponseBytes: 16 << 10, Timeout: 500 * time.Millisecond, MaxCalls: 5, MaxRows: 3}

// ioRunner is a Runner whose resolver maps the test names "api.test" and "other.test" to
// 127.0.0.1 (as a public name pointed at loopback would be) and knows no other name.
func ioRunner(t *testing.T) *Runner {
	t.Helper()
	return newRunner(t, Config{Calls: ioLimits, Network: Network{
		LookupIP: func(_ context.Context, host string) ([]netip.Addr, error) {
			if host == "api.test" || host == "other.test" {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
	}})
}

// hostio runs the hostio fixture with the grants and returns its result and log.
func hostio(t *testing.T, r *Runner, g Grants, args ...string) (Result, string) {
	t.Helper()
	return run(t, r, Try{Module: goModule(t, "hostio"), Args: args, Grants: g, Timeout: time.Minute})
}

// server is a loopback HTTP server that counts the requests it got.
type server struct {
	*httptest.Server
	hits atomic.Int32
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) hostPort() string { return strings.TrimPrefix(s.URL, "http://") }

func (s *server) port() int {
	_, p, _ := net.SplitHostPort(s.hostPort())
	n, _ := strconv.Atoi(p)
	return n
}

// wantCall checks the one call a try recorded.
func wantCall(t *testing.T, res Result, want Call, errPart string) {
	t.Helper()
	if len(res.Calls) != 1 {
		t.Fatalf("calls = %+v, want one", res.Calls)
	}
	c := res.Calls[0]
	if c.Kind != want.Kind || c.Target != want.Target || c.Op != want.Op || c.Status != want.Status || c.Refused != want.Refused ||
		(want.Rows != 0 && c.Rows != want.Rows) || !strings.Contains(c.Error, errPart) || (errPart == "") != (c.Error == "") {
		t.Errorf("call = %+v\nwant %+v with error containing %q", c, want, errPart)
	}
}

// TestHTTPConnectionCredentials: through a connection, the host adds basic auth, a bearer token
// or extra headers, which the server checks; the module only names the connection, and the
// record holds neither the credentials nor the query string.
func TestHTTPConnectionCredentials(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		ok := false
		switch r.URL.Path {
		case "/v1/basic":
			u, p, has := r.BasicAuth()
			ok = has && u == "etl" && p == "pa55word"
		case "/v1/bearer":
			ok = r.Header.Get("Authorization") == "Bearer tok-123"
		case "/v1/header":
			ok = r.Header.Get("X-Api-Key") == "key-456" && r.Header.Get("Authorization") == ""
		}
		if !ok {
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "hello %s q=%s", r.URL.Path, r.URL.Query().Get("day"))
	})
	conn := func(id, login, pw, extra string) tasks.Connection {
		return tasks.Connection{ConnID: id, ConnType: "http", Host: "127.0.0.1", Port: srv.port(), Schema: "http",
			Login: login, Password: pw, Extra: extra}
	}
	g := Grants{Connections: map[string]tasks.Connection{
		"api_basic":  conn("api_basic", "etl", "pa55word", ""),
		"api_bearer": conn("api_bearer", "", "", `{"token": "tok-123"}`),
		"api_header": conn("api_header", "", "", `{"headers": {"X-Api-Key": "key-456"}}`),
	}}
	res, log := hostio(t, ioRunner(t), g, "get", "conn://api_basic/v1/basic?day=2022-10-22", "conn://api_bearer/v1/bearer", "conn://api_header/v1/header")
	if res.State != StateSuccess {
		t.Fatalf("result = %+v\nlog:\n%s", res, log)
	}
	for _, want := range []string{"status=200 body=hello /v1/basic q=2022-10-22\n", "status=200 body=hello /v1/bearer q=\n", "status=200 body=hello /v1/header q=\n"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if len(res.Calls) != 3 {
		t.Fatalf("calls = %+v", res.Calls)
	}
	for i, want := range []Call{
		{Kind: CallHTTP, Target: "api_basic", Op: "GET /v1/basic", Status: 200},
		{Kind: CallHTTP, Target: "api_bearer", Op: "GET /v1/bearer", Status: 200},
		{Kind: CallHTTP, Target: "api_header", Op: "GET /v1/header", Status: 200},
	} {
		c := res.Calls[i]
		if c.Kind != want.Kind || c.Target != want.Target || c.Op != want.Op || c.Status != want.Status || c.Refused || c.Error != "" || c.BytesIn == 0 || c.Duration <= 0 {
			t.Errorf("call %d = %+v, want %+v", i, c, want)
		}
	}
	if rec := fmt.Sprintf("%+v", res.Calls); strings.Contains(rec, "pa55word") || strings.Contains(rec, "tok-123") || strings.Contains(rec, "day=") {
		t.Errorf("the record holds a secret or a query string: %s", rec)
	}
}

// TestHTTPDenials: every way out that is not granted is refused with the grant to add, fails
// the try, is recorded, and leaves the runner working.
func TestHTTPDenials(t *testing.T) {
	r := ioRunner(t)
	other := newServer(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "other") })
	release := make(chan struct{})
	defer close(release)
	srv := newServer(t, func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/redirect":
			http.Redirect(w, req, other.URL+"/landing", http.StatusFound)
		case "/redirect-granted":
			http.Redirect(w, req, "/ok", http.StatusFound)
		case "/big":
			// 64 MiB, far over the 16 KiB limit: the host must stop reading, not buffer it.
			chunk := make([]byte, 64<<10)
			for i := 0; i < 1024; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "/slow":
			select { // answers only when the client gives up
			case <-req.Context().Done():
			case <-release:
			}
		default:
			fmt.Fprint(w, "ok")
		}
	})
	hp := srv.hostPort()
	allow := Grants{AllowHosts: []string{hp}}
	// Compile the module first, so that the allocation check below sees the try alone.
	if res, log := hostio(t, r, allow, "get", srv.URL+"/ok"); res.State != StateSuccess {
		t.Fatalf("result = %+v\nlog:\n%s", res, log)
	}

	for _, tc := range []struct {
		name    string
		grants  Grants
		url     string
		want    Call
		errPart string
		denied  bool // the module saw sdk.ErrDenied (else sdk.ErrLimit)
		hits    int32
	}{
		{"host not granted", Grants{AllowHosts: []string{"api.example.com"}}, srv.URL + "/",
			Call{Kind: CallHTTP, Target: hp, Op: "GET /", Refused: true},
			fmt.Sprintf(`host 127.0.0.1 is not granted: add %q to allow_hosts`, hp), true, 0},
		{"wrong port", Grants{AllowHosts: []string{"127.0.0.1:1"}}, srv.URL + "/x?key=k",
			Call{Kind: CallHTTP, Target: hp, Op: "GET /x", Refused: true},
			fmt.Sprintf(`add %q to allow_hosts`, hp), true, 0},
		{"connection not granted", allow, "conn://warehouse/x",
			Call{Kind: CallHTTP, Target: "warehouse", Op: "GET /x", Refused: true},
			`connection "warehouse" is not granted: add "warehouse" to the task's connections`, true, 0},
		{"redirect to a host not granted", allow, srv.URL + "/redirect",
			Call{Kind: CallHTTP, Target: hp, Op: "GET /redirect", Refused: true},
			fmt.Sprintf(`redirect to host 127.0.0.1 is not granted: add %q to allow_hosts`, other.hostPort()), true, 1},
		{"granted name resolving to loopback", Grants{AllowHosts: []string{"api.test"}}, fmt.Sprintf("http://api.test:%d/", srv.port()),
			Call{Kind: CallHTTP, Target: fmt.Sprintf("api.test:%d", srv.port()), Op: "GET /", Refused: true},
			fmt.Sprintf(`host api.test resolves to 127.0.0.1, a loopback address, which a name may not lead to: if that is intended, grant the address (add %q to allow_hosts`, hp), true, 0},
		{"wildcard name resolving to loopback", Grants{AllowHosts: []string{"*.test"}}, fmt.Sprintf("http://other.test:%d/", srv.port()),
			Call{Kind: CallHTTP, Target: fmt.Sprintf("other.test:%d", srv.port()), Op: "GET /", Refused: true},
			"host other.test resolves to 127.0.0.1, a loopback address", true, 0},
		{"response over the limit", allow, srv.URL + "/big",
			Call{Kind: CallHTTP, Target: hp, Op: "GET /big", Status: 200},
			"http_request GET /big: the response body is over the limit of 16384 bytes (status 200)", false, 1},
		{"slow server past the per-call timeout", allow, srv.URL + "/slow",
			Call{Kind: CallHTTP, Target: hp, Op: "GET /slow"},
			"http_request GET /slow to " + hp + ": no complete answer within the per-call timeout of 500ms", false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.hits.Store(0)
			other.hits.Store(0)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res, log := hostio(t, r, tc.grants, "get", tc.url)
			runtime.ReadMemStats(&after)
			if res.State != StateFailed || res.Reason != "exit_code 3" {
				t.Fatalf("result = %s %q, want failed by the module's exit 3\nlog:\n%s", res.State, res.Reason, log)
			}
			wantLine := fmt.Sprintf("error denied=%t limit=%t: ", tc.denied, !tc.denied)
			if !strings.Contains(log, wantLine) || !strings.Contains(log, tc.errPart) {
				t.Errorf("log lacks %q and %q:\n%s", wantLine, tc.errPart, log)
			}
			if !strings.Contains(log, notePrefix+"http_request refused or failed: ") {
				t.Errorf("the runtime did not note the refusal:\n%s", log)
			}
			wantCall(t, res, tc.want, tc.errPart)
			if got := srv.hits.Load() + other.hits.Load(); got != tc.hits {
				t.Errorf("the servers got %d requests, want %d", got, tc.hits)
			}
			if other.hits.Load() != 0 {
				t.Error("the redirect reached the host that is not granted")
			}
			// The try's whole allocation (a 10 MB module's compile cache hit and memory included)
			// stays far below the 64 MiB the big response would have cost buffered.
			d := after.TotalAlloc - before.TotalAlloc
			t.Logf("the try allocated %.1f MiB", float64(d)/(1<<20))
			if d > 32<<20 {
				t.Errorf("the try allocated %d MiB", d>>20)
			}
		})
	}

	t.Run("granted by address", func(t *testing.T) {
		// The address a name was refused for, granted by address: it works, and so does a
		// redirect within the granted host.
		res, log := hostio(t, r, allow, "get", srv.URL+"/ok", srv.URL+"/redirect-granted")
		if res.State != StateSuccess || strings.Count(log, "status=200 body=ok\n") != 2 || len(res.Calls) != 2 {
			t.Fatalf("result = %+v\nlog:\n%s", res, log)
		}
	})
	t.Run("calls per try", func(t *testing.T) {
		u := srv.URL + "/ok"
		res, log := hostio(t, r, allow, "get", u, u, u, u, u, u, u, u)
		if res.State != StateFailed || strings.Count(log, "status=200") != ioLimits.MaxCalls {
			t.Fatalf("result = %+v\nlog:\n%s", res, log)
		}
		last := res.Calls[len(res.Calls)-1]
		if len(res.Calls) != ioLimits.MaxCalls+1 || !last.Refused || !strings.Contains(last.Error, "the try made 5 host calls, the limit per try") {
			t.Errorf("calls = %+v", res.Calls)
		}
		if !strings.Contains(log, "error denied=false limit=true") {
			t.Errorf("log:\n%s", log)
		}
	})
	t.Run("plain host of a connection is not allow_hosts", func(t *testing.T) {
		g := Grants{Connections: map[string]tasks.Connection{"api": {ConnID: "api", ConnType: "http", Host: "127.0.0.1", Port: srv.port()}}}
		res, _ := hostio(t, r, g, "get", srv.URL+"/ok")
		wantCall(t, res, Call{Kind: CallHTTP, Target: hp, Op: "GET /ok", Refused: true}, "is not granted: add")
	})
}

// TestHTTPRedirectDropsCredentials: a connection's credentials go to its own host only, not to
// a granted host a redirect leads to.
func TestHTTPRedirectDropsCredentials(t *testing.T) {
	var gotAuth sync.Map
	other := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store("other", r.Header.Get("Authorization"))
		fmt.Fprint(w, "landed")
	})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store("api", r.Header.Get("Authorization"))
		http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
	})
	g := Grants{AllowHosts: []string{other.hostPort()}, Connections: map[string]tasks.Connection{
		"api": {ConnID: "api", ConnType: "http", Host: srv.URL, Extra: `{"token": "tok-123"}`}}}
	res, log := hostio(t, ioRunner(t), g, "get", "conn://api/start")
	if res.State != StateSuccess || !strings.Contains(log, "status=200 body=landed") {
		t.Fatalf("result = %+v\nlog:\n%s", res, log)
	}
	if a, _ := gotAuth.Load("api"); a != "Bearer tok-123" {
		t.Errorf("the connection's host got Authorization %q", a)
	}
	if a, _ := gotAuth.Load("other"); a != "" {
		t.Errorf("the redirect's host got the connection's Authorization %q", a)
	}
}

// sqliteFile makes a database file with a table t of three rows.
func sqliteFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warehouse.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL);
		INSERT INTO t VALUES (1, 'a', 1.5), (2, 'b', NULL), (3, 'c', 3);`); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSQLite(t *testing.T) {
	r := ioRunner(t)
	path := sqliteFile(t)
	g := Grants{Connections: map[string]tasks.Connection{"wh": {ConnID: "wh", ConnType: "sqlite", Host: path}}}

	res, log := hostio(t, r, g, "query", "wh", "SELECT id, name, score FROM t WHERE id >= ? AND name <> ? ORDER BY id", "2", `"x' OR 1=1 --"`)
	if want := `rows={"columns":["id","name","score"],"rows":[[2,"b",null],[3,"c",3]]}`; res.State != StateSuccess || !strings.Contains(log, want+"\n") {
		t.Fatalf("result = %+v, want %s\nlog:\n%s", res, want, log)
	}
	wantCall(t, res, Call{Kind: CallSQL, Target: "wh", Op: "SELECT id, name, score", Rows: 2}, "")

	res, log = hostio(t, r, g, "exec", "wh", "UPDATE t SET name = $1 WHERE id <= $2", `"z"`, "2")
	if res.State != StateSuccess || !strings.Contains(log, "affected=2\n") {
		t.Fatalf("result = %+v\nlog:\n%s", res, log)
	}
	wantCall(t, res, Call{Kind: CallSQL, Target: "wh", Op: "UPDATE t SET name", Rows: 2}, "")
	db, _ := sql.Open("sqlite", path)
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM t WHERE name = 'z'").Scan(&n); err != nil || n != 2 {
		t.Errorf("the file has %d rows named z (%v), want 2", n, err)
	}

	for _, tc := range []struct {
		name    string
		args    []string
		want    Call
		errPart string
	}{
		{"connection not granted", []string{"query", "other", "SELECT 1"}, Call{Kind: CallSQL, Target: "other", Op: "SELECT 1", Refused: true},
			`connection "other" is not granted: add "other" to the task's connections`},
		{"attach", []string{"exec", "wh", "ATTACH DATABASE '/tmp/x.db' AS x"}, Call{Kind: CallSQL, Target: "wh", Op: "ATTACH DATABASE '/tmp/x.db' AS", Refused: true},
			"ATTACH is not allowed through a connection: a sqlite connection reaches its own file only"},
		{"vacuum into", []string{"exec", "wh", "/* a */ vacuum INTO '/tmp/copy.db'"}, Call{Kind: CallSQL, Target: "wh", Op: "vacuum INTO '/tmp/copy.db'", Refused: true},
			"VACUUM is not allowed"},
		{"rows over the cap", []string{"query", "wh", "SELECT id FROM t UNION ALL SELECT id FROM t"}, Call{Kind: CallSQL, Target: "wh", Op: "SELECT id FROM t", Rows: 3},
			"more than 3 rows: add a LIMIT"},
		{"a SQL error", []string{"query", "wh", "SELECT nope FROM t"}, Call{Kind: CallSQL, Target: "wh", Op: "SELECT nope FROM t"},
			"no such column: nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, log := hostio(t, r, g, tc.args...)
			if res.State != StateFailed || !strings.Contains(log, tc.errPart) {
				t.Fatalf("result = %+v, want failed with %q\nlog:\n%s", res, tc.errPart, log)
			}
			wantCall(t, res, tc.want, tc.errPart)
		})
	}
	t.Run("a keyword in a literal is data", func(t *testing.T) {
		res, log := hostio(t, r, g, "query", "wh", "SELECT 'ATTACH' AS word, \"id\" FROM t WHERE id = 1")
		if res.State != StateSuccess || !strings.Contains(log, `"rows":[["ATTACH",1]]`) {
			t.Fatalf("result = %+v\nlog:\n%s", res, log)
		}
	})
}

var pg struct {
	once sync.Once
	srv  *pgtest.Server
	err  error
}

// pgServer starts one PostgreSQL server for the test binary (TestMain stops it). Without the
// server binaries the test fails with the command that installs them.
func pgServer(t *testing.T) *pgtest.Server {
	t.Helper()
	pg.once.Do(func() { pg.srv, pg.err = pgtest.Start() })
	if pg.err != nil {
		t.Fatal(pg.err)
	}
	return pg.srv
}

func TestPostgres(t *testing.T) {
	s := pgServer(t)
	if _, err := s.Psql("postgres", "CREATE DATABASE warehouse"); err != nil {
		t.Fatal(err)
	}
	conn := tasks.Connection{ConnID: "pg", ConnType: "postgres", Host: s.Host, Port: s.Port, Login: s.User, Password: s.Password, Schema: "warehouse"}
	g := Grants{Connections: map[string]tasks.Connection{"pg": conn}}
	r := ioRunner(t)

	res, log := hostio(t, r, g, "exec", "pg", "CREATE TABLE t (id int PRIMARY KEY, name text, tags jsonb)")
	if res.State != StateSuccess || !strings.Contains(log, "affected=0\n") {
		t.Fatalf("result = %+v\nlog:\n%s", res, log)
	}
	res, log = hostio(t, r, g, "exec", "pg", "INSERT INTO t VALUES ($1, $2, $3), ($4, $5, NULL)", "1", `"a"`, `["x","y"]`, "2", `"b'; DROP TABLE t; --"`)
	if res.State != StateSuccess || !strings.Contains(log, "affected=2\n") {
		t.Fatalf("result = %+v\nlog:\n%s", res, log)
	}
	wantCall(t, res, Call{Kind: CallSQL, Target: "pg", Op: "INSERT INTO t VALUES", Rows: 2}, "")
	res, log = hostio(t, r, g, "query", "pg", "SELECT id, name, tags->>0 AS first FROM t WHERE id >= $1 ORDER BY id", "1")
	if want := `rows={"columns":["id","name","first"],"rows":[[1,"a","x"],[2,"b'; DROP TABLE t; --",null]]}`; res.State != StateSuccess || !strings.Contains(log, want+"\n") {
		t.Fatalf("result = %+v, want %s\nlog:\n%s", res, want, log)
	}
	wantCall(t, res, Call{Kind: CallSQL, Target: "pg", Op: "SELECT id, name, tags->>0", Rows: 2}, "")

	t.Run("wrong password", func(t *testing.T) {
		bad := conn
		bad.Password = "wrong"
		res, log := hostio(t, r, Grants{Connections: map[string]tasks.Connection{"pg": bad}}, "query", "pg", "SELECT 1")
		if res.State != StateFailed || !strings.Contains(log, "password authentication failed") {
			t.Fatalf("result = %+v\nlog:\n%s", res, log)
		}
	})
	t.Run("name resolving to loopback", func(t *testing.T) {
		byName := conn
		byName.Host = "api.test"
		res, log := hostio(t, r, Grants{Connections: map[string]tasks.Connection{"pg": byName}}, "query", "pg", "SELECT 1")
		if res.State != StateFailed || !strings.Contains(log, "host api.test resolves to 127.0.0.1, a loopback address") {
			t.Fatalf("result = %+v\nlog:\n%s", res, log)
		}
		wantCall(t, res, Call{Kind: CallSQL, Target: "pg", Op: "SELECT 1", Refused: true}, "resolves to 127.0.0.1")
	})
}

func TestSecretGet(t *testing.T) {
	r := ioRunner(t)
	vault := tasks.Connection{ConnID: "vault", ConnType: "http", Login: "svc", Password: "s3cr3t", Extra: `{"k":1}`}
	api := tasks.Connection{ConnID: "api", ConnType: "http", Host: "api.example.com", Password: "not-for-the-module"}
	g := Grants{Secrets: map[string]tasks.Connection{"vault": vault}, Connections: map[string]tasks.Connection{"api": api}}

	res, log := hostio(t, r, g, "secret", "vault")
	if res.State != StateSuccess || !strings.Contains(log, `login=svc password=s3cr3t extra={"k":1}`) {
		t.Fatalf("result = %+v\nlog:\n%s", res, log)
	}
	wantCall(t, res, Call{Kind: CallSecret, Target: "vault"}, "")
	if strings.Contains(fmt.Sprintf("%+v", res.Calls), "s3cr3t") {
		t.Errorf("the record holds the secret: %+v", res.Calls)
	}
	for _, id := range []string{"other", "api"} { // a connection grant is not a secret grant
		res, log := hostio(t, r, g, "secret", id)
		want := fmt.Sprintf(`the secret of connection %q is not granted: add %q to the task's secrets`, id, id)
		if res.State != StateFailed || !strings.Contains(log, "error denied=true") || !strings.Contains(log, want) || strings.Contains(log, "not-for-the-module") {
			t.Fatalf("result = %+v\nlog:\n%s", res, log)
		}
		wantCall(t, res, Call{Kind: CallSecret, Target: id, Refused: true}, want)
	}
}

// TestAllowHosts: the matching rules of allow_hosts entries.
func TestAllowHosts(t *testing.T) {
	rules := parseAllowHosts([]string{"api.example.com", "*.example.org:8443", "127.0.0.1:8080", "[::1]:9000", "Data.Example.NET.", "bad:port"})
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{"https://api.example.com/x", true},
		{"http://api.example.com:8080/x", true},
		{"https://API.example.com./x", true},
		{"https://example.com/", false},
		{"https://evil-api.example.com/", false},
		{"https://a.example.org:8443/", true},
		{"https://a.b.example.org:8443/", true},
		{"https://example.org:8443/", false},
		{"https://a.example.org/", false},
		{"https://a.example.org.evil.com:8443/", false},
		{"http://127.0.0.1:8080/", true},
		{"http://127.0.0.1:8081/", false},
		{"http://[::1]:9000/", true},
		{"http://data.example.net/", true},
		{"http://bad/", false},
	} {
		u, _ := url.Parse(tc.url)
		got := false
		for _, r := range rules {
			got = got || r.matches(hostPortOf(u))
		}
		if got != tc.want {
			t.Errorf("%s: granted = %t, want %t", tc.url, got, tc.want)
		}
	}
}

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr, why string
	}{
		{"127.0.0.1", "a loopback address"}, {"::1", "a loopback address"}, {"::ffff:127.0.0.1", "a loopback address"},
		{"10.1.2.3", "a private address"}, {"192.168.0.1", "a private address"}, {"172.16.0.1", "a private address"}, {"fd00::1", "a private address"},
		{"169.254.169.254", "a link-local address"}, {"fe80::1", "a link-local address"},
		{"0.0.0.0", "the unspecified address"}, {"::", "the unspecified address"},
		{"100.64.0.1", "a shared (carrier-grade NAT) address"}, {"224.0.0.1", "a link-local address"},
		{"93.184.216.34", ""}, {"2606:2800:220:1:248:1893:25c8:1946", ""},
	} {
		if got := checkAddr(netip.MustParseAddr(tc.addr)); got != tc.why {
			t.Errorf("%s: %q, want %q", tc.addr, got, tc.why)
		}
	}
}

// TestHostCallABI: the functions as any language calls them — the result codes, the response
// waiting for response_read (a short buffer leaves it there, a read takes it), and requests
// that are not what the ABI documents.
func TestHostCallABI(t *testing.T) {
	r := ioRunner(t)
	for _, tc := range []struct {
		name, fn, req, want string
	}{
		{"unknown field", hostFuncHTTPRequest, `{"url": "http://a.example/", "methd": "GET"}`,
			`code=-1 len=%d small=-2 read=%[1]d again=-1 response={"error":"http_request: the request is not valid JSON of the documented shape (docs/hostcalls.md): json: unknown field \"methd\""}`},
		{"not JSON", hostFuncHTTPRequest, `GET / HTTP/1.1`, `code=-1 len=%d small=-2 read=%[1]d again=-1 response={"error":"http_request: the request is not valid JSON`},
		{"url and conn_id", hostFuncHTTPRequest, `{"url": "http://a.example/", "conn_id": "api"}`, `code=-1 len=%d small=-2 read=%[1]d again=-1 response={"error":"http_request: give either url or conn_id (with path), not both"}`},
		{"not granted", hostFuncSQLQuery, `{"conn_id": "db", "statement": "SELECT 1"}`,
			`code=-2 len=%d small=-2 read=%[1]d again=-1 response={"error":"connection \"db\" is not granted: add \"db\" to the task's connections"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, log := hostio(t, r, Grants{}, "raw", tc.fn, tc.req)
			if res.State != StateSuccess || len(res.Calls) != 1 || !res.Calls[0].Refused {
				t.Fatalf("result = %+v\nlog:\n%s", res, log)
			}
			line := log[strings.Index(log, "code="):]
			line = line[:strings.IndexByte(line, '\n')]
			n := len(line) - len(line[:strings.Index(line, "response=")+len("response=")])
			if want := fmt.Sprintf(tc.want, n); !strings.HasPrefix(line, want) {
				t.Errorf("got  %s\nwant %s", line, want)
			}
		})
	}
}
