package runtime

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	_ "github.com/glebarez/go-sqlite" // database/sql driver "sqlite", pure Go
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/wasmflow/wasmflow/tasks"
)

// sqlRequest is the JSON request of sql_query and sql_exec. Values reach the database only as
// bound parameters ($1 for postgres, ? or $1 for sqlite), never spliced into the statement.
type sqlRequest struct {
	ConnID    string            `json:"conn_id"`
	Statement string            `json:"statement"`
	Args      []json.RawMessage `json:"args"`
}

// sqlRows is the JSON response of sql_query.
type sqlRows struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// sqlResult is the JSON response of sql_exec.
type sqlResult struct {
	RowsAffected int64 `json:"rows_affected"`
}

func sqlQuery(ctx context.Context, cs *callState, raw []byte, rec *Call) (any, error) {
	db, req, args, err := cs.sqlPrepare(hostFuncSQLQuery, raw, rec)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, req.Statement, args...)
	if err != nil {
		return nil, cs.sqlError(ctx, rec, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, cs.sqlError(ctx, rec, err)
	}
	out := sqlRows{Columns: cols, Rows: [][]any{}}
	size := int64(0)
	for rows.Next() {
		if len(out.Rows) == cs.limits.MaxRows {
			return nil, overLimit(false, "sql_query %s: more than %d rows: add a LIMIT, or page through them", rec.Op, cs.limits.MaxRows)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, cs.sqlError(ctx, rec, err)
		}
		for i, v := range vals {
			vals[i] = jsonValue(v)
		}
		b, err := json.Marshal(vals)
		if err != nil {
			return nil, callFailed("sql_query %s: encode row %d: %v", rec.Op, len(out.Rows)+1, err)
		}
		if size += int64(len(b)) + 1; size > cs.limits.MaxResponseBytes {
			return nil, overLimit(false, "sql_query %s: the rows are over the limit of %d bytes after %d rows: select fewer columns or rows", rec.Op, cs.limits.MaxResponseBytes, len(out.Rows))
		}
		out.Rows = append(out.Rows, vals)
		rec.Rows, rec.BytesIn = int64(len(out.Rows)), size
	}
	if err := rows.Err(); err != nil {
		return nil, cs.sqlError(ctx, rec, err)
	}
	return out, nil
}

func sqlExec(ctx context.Context, cs *callState, raw []byte, rec *Call) (any, error) {
	db, req, args, err := cs.sqlPrepare(hostFuncSQLExec, raw, rec)
	if err != nil {
		return nil, err
	}
	res, err := db.ExecContext(ctx, req.Statement, args...)
	if err != nil {
		return nil, cs.sqlError(ctx, rec, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, cs.sqlError(ctx, rec, err)
	}
	rec.Rows = n
	return sqlResult{RowsAffected: n}, nil
}

// sqlPrepare decodes a request, checks its grant and returns the connection's pool and the
// bound parameters.
func (cs *callState) sqlPrepare(name string, raw []byte, rec *Call) (*sql.DB, sqlRequest, []any, error) {
	var req sqlRequest
	if err := decodeRequest(name, raw, &req); err != nil {
		return nil, req, nil, err
	}
	rec.Target, rec.Op = req.ConnID, statementHead(req.Statement)
	for _, a := range req.Args {
		rec.BytesOut += int64(len(a))
	}
	switch {
	case req.ConnID == "":
		return nil, req, nil, badRequest("%s: conn_id is missing", name)
	case strings.TrimSpace(req.Statement) == "":
		return nil, req, nil, badRequest("%s: statement is empty", name)
	case rec.BytesOut > cs.limits.MaxRequestBytes:
		return nil, req, nil, overLimit(true, "%s %s: the bound parameters are %d bytes, over the limit of %d bytes", name, rec.Op, rec.BytesOut, cs.limits.MaxRequestBytes)
	}
	conn, ok := cs.grants.Connections[req.ConnID]
	if !ok {
		return nil, req, nil, denied("connection %q is not granted: add %q to the task's connections", req.ConnID, req.ConnID)
	}
	if isSQLite(conn) {
		if kw := sqliteForbidden(req.Statement); kw != "" {
			return nil, req, nil, denied("%s %s: %s is not allowed through a connection: a sqlite connection reaches its own file only", name, rec.Op, kw)
		}
	}
	args := make([]any, len(req.Args))
	for i, a := range req.Args {
		v, err := boundValue(a)
		if err != nil {
			return nil, req, nil, badRequest("%s: parameter %d: %v", name, i+1, err)
		}
		args[i] = v
	}
	db, err := cs.db(conn)
	if err != nil {
		return nil, req, nil, err
	}
	return db, req, args, nil
}

// db is the try's pool for a connection, opened on first use and closed after the try.
func (cs *callState) db(c tasks.Connection) (*sql.DB, error) {
	if db, ok := cs.dbs[c.ConnID]; ok {
		return db, nil
	}
	var db *sql.DB
	switch {
	case isSQLite(c):
		path := c.Host
		if path == "" {
			path = c.Schema
		}
		if path == "" {
			return nil, callFailed("connection %q is a sqlite connection without a file: set its host to the database file's path", c.ConnID)
		}
		var err error
		if db, err = sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"); err != nil {
			return nil, callFailed("open sqlite connection %q: %v", c.ConnID, err)
		}
	case strings.EqualFold(c.ConnType, "postgres") || strings.EqualFold(c.ConnType, "postgresql"):
		cfg, err := pgx.ParseConfig(postgresDSN(c))
		if err != nil {
			return nil, callFailed("connection %q: %v", c.ConnID, err)
		}
		cfg.LookupFunc = func(ctx context.Context, host string) ([]string, error) {
			return cs.lookupForConn(ctx, host, strconv.Itoa(int(cfg.Port)))
		}
		cfg.DialFunc = cs.net.Dial
		db = stdlib.OpenDB(*cfg)
	default:
		return nil, badRequest("connection %q is a %q connection: SQL calls need a sqlite or postgres connection", c.ConnID, c.ConnType)
	}
	// A module is single-threaded: one connection serves it, a second covers a query whose rows
	// are still open.
	db.SetMaxOpenConns(2)
	db.SetConnMaxIdleTime(time.Minute)
	if cs.dbs == nil {
		cs.dbs = map[string]*sql.DB{}
	}
	cs.dbs[c.ConnID] = db
	return db, nil
}

// lookupForConn resolves a database connection's host with the rule of HTTP: an address the
// connection names is used as is; a name may not lead to a loopback or private address.
func (cs *callState) lookupForConn(ctx context.Context, host, port string) ([]string, error) {
	if _, err := netip.ParseAddr(host); err == nil {
		return []string{host}, nil
	}
	ips, err := cs.safeAddrs(ctx, host, port)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out, nil
}

// postgresDSN is a keyword/value connection string with every setting the connection has, so
// nothing comes from the host's PG* environment but what the connection leaves unset.
func postgresDSN(c tasks.Connection) string {
	port := c.Port
	if port == 0 {
		port = 5432
	}
	sslmode := "prefer"
	var extra map[string]any
	if json.Unmarshal([]byte(c.Extra), &extra) == nil {
		if m, ok := extra["sslmode"].(string); ok {
			sslmode = m
		}
	}
	kv := []string{"host", c.Host, "port", strconv.Itoa(port), "user", c.Login, "password", c.Password,
		"dbname", c.Schema, "sslmode", sslmode, "connect_timeout", "10"}
	var b strings.Builder
	for i := 0; i < len(kv); i += 2 {
		v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(kv[i+1])
		fmt.Fprintf(&b, "%s='%s' ", kv[i], v)
	}
	return b.String()
}

func isSQLite(c tasks.Connection) bool {
	return strings.EqualFold(c.ConnType, "sqlite") || strings.EqualFold(c.ConnType, "sqlite3")
}

// sqliteForbidden returns the keyword that would let a statement reach past the connection's
// file (ATTACH opens or creates any file, VACUUM INTO writes one, PRAGMA can move temporary
// files or turn checks off, load_extension loads code), or "". Keywords inside string literals, quoted names and comments
// do not count.
func sqliteForbidden(stmt string) string {
	for _, w := range sqlWords(stmt) {
		switch u := strings.ToUpper(w); u {
		case "ATTACH", "DETACH", "VACUUM", "PRAGMA", "LOAD_EXTENSION":
			return u
		}
	}
	return ""
}

// sqlWords are the bare words of a statement, outside literals, quoted names and comments.
func sqlWords(s string) []string {
	var words []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'' || c == '"' || c == '`' || c == '[':
			end := byte(c)
			if c == '[' {
				end = ']'
			}
			j := strings.IndexByte(s[i+1:], end)
			if j < 0 {
				return words
			}
			i += j + 2
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return words
			}
			i += j + 1
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return words
			}
			i += j + 4
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			words = append(words, s[i:j])
			i = j
		default:
			i++
		}
	}
	return words
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// statementHead is the record's view of a statement: its first four words after any leading
// comments, at most 60 bytes.
func statementHead(s string) string {
	for {
		s = strings.TrimSpace(s)
		if rest, ok := strings.CutPrefix(s, "--"); ok {
			_, s, _ = strings.Cut(rest, "\n")
		} else if rest, ok := strings.CutPrefix(s, "/*"); ok {
			_, s, _ = strings.Cut(rest, "*/")
		} else {
			break
		}
	}
	f := strings.Fields(s)
	if len(f) > 4 {
		f = f[:4]
	}
	h := strings.Join(f, " ")
	if len(h) > 60 {
		h = h[:60]
	}
	return h
}

// boundValue turns a JSON parameter into a driver value: integers stay exact, objects and
// arrays are passed as their JSON text (for json/jsonb columns).
func boundValue(raw json.RawMessage) (any, error) {
	var v any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
		return x.Float64()
	case map[string]any, []any:
		return string(raw), nil
	}
	return v, nil
}

// jsonValue makes a scanned value JSON-friendly: text stays text; bytes that are not UTF-8
// are a base64 string (encoding/json's rule for []byte).
func jsonValue(v any) any {
	if b, ok := v.([]byte); ok {
		if s := string(b); utf8.ValidString(s) {
			return s
		}
		return b
	}
	return v
}

// sqlError explains a failed statement.
func (cs *callState) sqlError(ctx context.Context, rec *Call, err error) error {
	if ctx.Err() != nil {
		return cs.stopped(ctx, "sql "+rec.Target+" "+rec.Op)
	}
	if ce := asCallError(err); ce.code == HostCallDenied {
		return ce
	}
	return callFailed("sql %s %s: %v", rec.Target, rec.Op, err)
}
