package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// ConnectionTest is Airflow's answer to a connection test.
type ConnectionTest struct {
	Status  bool   `json:"status"`
	Message string `json:"message"`
}

// connectionTestTimeout bounds one test: it runs while a person or a request waits.
const connectionTestTimeout = 10 * time.Second

// TestConnection tries to reach what c describes: an HTTP request to its host (http, https),
// opening its file (sqlite), a login and `select 1` (postgres). The answer says what was
// tried; it never holds the password.
func (a *App) TestConnection(ctx context.Context, who Actor, c tasks.Connection) ConnectionTest {
	tctx, cancel := context.WithTimeout(ctx, connectionTestTimeout)
	defer cancel()
	var res ConnectionTest
	switch c.ConnType {
	case "http", "https":
		res = testHTTP(tctx, c)
	case "sqlite":
		res = testSQLite(tctx, c)
	case "postgres":
		res = testPostgres(tctx, c)
	default:
		res = ConnectionTest{Message: fmt.Sprintf("conn_type %q cannot be tested: wasmflow tests http, sqlite and postgres connections", c.ConnType)}
	}
	if c.Password != "" {
		res.Message = strings.ReplaceAll(res.Message, c.Password, Masked) // an error may quote a URL
	}
	a.audit(ctx, who, "connection.test", scheduler.AuditEvent{Extra: fmt.Sprintf("%s status=%t", c.ConnID, res.Status)})
	return res
}

// httpBase is the URL an http connection points at: its host if that is a URL, else
// schema (http or https, as Airflow's HttpHook reads it) :// host [:port].
func httpBase(c tasks.Connection) string {
	if strings.Contains(c.Host, "://") {
		return c.Host
	}
	scheme := "http"
	if c.ConnType == "https" || c.Schema == "https" {
		scheme = "https"
	}
	host := c.Host
	if c.Port != 0 {
		host = net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	}
	return scheme + "://" + host + "/"
}

func testHTTP(ctx context.Context, c tasks.Connection) ConnectionTest {
	if c.Host == "" {
		return ConnectionTest{Message: "the connection has no host to send a request to"}
	}
	base := httpBase(c)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
	if err != nil {
		return ConnectionTest{Message: fmt.Sprintf("%s is not a URL: %v", base, err)}
	}
	if c.Login != "" {
		req.SetBasicAuth(c.Login, c.Password)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return ConnectionTest{Message: fmt.Sprintf("GET %s failed: %v", base, unwrapURLError(err))}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	msg := fmt.Sprintf("GET %s answered %s", base, resp.Status)
	return ConnectionTest{Status: resp.StatusCode < 400, Message: msg}
}

// unwrapURLError drops the "Get URL:" prefix the message already says.
func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap()
	}
	return err
}

// sqliteFile is an sqlite connection's database file: its host, as Airflow keeps it, or else
// its schema (the path of sqlite:///path URIs).
func sqliteFile(c tasks.Connection) string {
	if c.Host != "" {
		return c.Host
	}
	if c.Schema != "" {
		return "/" + strings.TrimPrefix(c.Schema, "/")
	}
	return ""
}

func testSQLite(ctx context.Context, c tasks.Connection) ConnectionTest {
	path := sqliteFile(c)
	if path == "" {
		return ConnectionTest{Message: "the connection names no database file: set its host to the file's path"}
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ConnectionTest{Message: fmt.Sprintf("SQLite file %s does not exist", path)}
	case err != nil:
		return ConnectionTest{Message: fmt.Sprintf("SQLite file %s: %v", path, err)}
	case st.IsDir():
		return ConnectionTest{Message: fmt.Sprintf("%s is a folder, not a SQLite file", path)}
	}
	// Read-only: a test must not create or change the file.
	db, err := gorm.Open(sqlite.Open("file:"+path+"?mode=ro"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return ConnectionTest{Message: fmt.Sprintf("open SQLite file %s: %v", path, err)}
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	var tables int
	if err := db.WithContext(ctx).Raw("SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables).Error; err != nil {
		return ConnectionTest{Message: fmt.Sprintf("SQLite file %s does not open as a database: %v", path, err)}
	}
	return ConnectionTest{Status: true, Message: fmt.Sprintf("SQLite file %s opens: %d tables", path, tables)}
}

// testPostgres logs in as the SQL host calls do (runtime.PostgresDSN: the same host, port,
// user, database and sslmode) and runs Airflow's test query, select 1. A refusal answers the
// server's own message (a wrong password, a database that does not exist) and its SQLSTATE.
func testPostgres(ctx context.Context, c tasks.Connection) ConnectionTest {
	if c.Host == "" {
		return ConnectionTest{Message: "the connection has no host to connect to"}
	}
	cfg, err := pgx.ParseConfig(runtime.PostgresDSN(c))
	if err != nil {
		return ConnectionTest{Message: fmt.Sprintf("the connection's settings are not a PostgreSQL connection string: %v", err)}
	}
	where := fmt.Sprintf("PostgreSQL at %s as %s", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.User)
	if cfg.Database != "" {
		where += ", database " + cfg.Database
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return ConnectionTest{Message: fmt.Sprintf("%s: %s", where, postgresReason(err))}
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var one int
	if err := conn.QueryRow(ctx, "select 1").Scan(&one); err != nil {
		return ConnectionTest{Message: fmt.Sprintf("%s: logged in, but select 1 failed: %s", where, postgresReason(err))}
	}
	return ConnectionTest{Status: true, Message: fmt.Sprintf("%s: logged in, select 1 answered %d (server %s)", where, one,
		conn.PgConn().ParameterStatus("server_version"))}
}

// postgresReason is the server's message when it answered one (pgx wraps it in what it was
// connecting to, which the answer already says), else the error as pgx gives it (no server
// there, a timeout).
func postgresReason(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Sprintf("the server answered %s: %s (SQLSTATE %s)", pe.Severity, pe.Message, pe.Code)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", connectionTestTimeout)
	}
	return err.Error()
}
