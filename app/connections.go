package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// ConnectionInfo is a connection in Airflow's REST shape (Connection): the password is never
// in it, and the extra's sensitive values are masked.
type ConnectionInfo struct {
	ConnectionID string `json:"connection_id"`
	ConnType     string `json:"conn_type"`
	Description  string `json:"description"`
	Host         string `json:"host"`
	Login        string `json:"login"`
	Schema       string `json:"schema"`
	Port         *int   `json:"port"` // null: the type's default
	Extra        string `json:"extra"`
	// HasPassword says whether a password is set, so a form can say "unchanged" (not Airflow's).
	HasPassword bool `json:"has_password"`
}

// connectionInfo shows c without its secrets.
func connectionInfo(c tasks.Connection) ConnectionInfo {
	out := ConnectionInfo{ConnectionID: c.ConnID, ConnType: c.ConnType, Description: c.Description, Host: c.Host,
		Login: c.Login, Schema: c.Schema, Extra: MaskExtra(c.Extra), HasPassword: c.Password != ""}
	if c.Port != 0 {
		port := c.Port
		out.Port = &port
	}
	return out
}

// checkConnection says what is wrong with a connection before it is stored.
func checkConnection(c tasks.Connection) error {
	switch {
	case !tasks.ConnIDPattern.MatchString(c.ConnID):
		return marked(ErrInvalid, "conn_id %q is not valid: use letters, digits, '_', '.' and '-' (at most 250)", c.ConnID)
	case strings.TrimSpace(c.ConnType) == "":
		return marked(ErrInvalid, "connection %s needs a conn_type (e.g. http, sqlite, postgres)", c.ConnID)
	case c.Port < 0 || c.Port > 65535:
		return marked(ErrInvalid, "connection %s: port %d is not from 1 to 65535 (leave it out for the type's default)", c.ConnID, c.Port)
	}
	if c.Extra != "" {
		var v map[string]any
		if err := json.Unmarshal([]byte(c.Extra), &v); err != nil {
			return marked(ErrInvalid, "connection %s: extra must be a JSON object, like {\"token\": \"...\"}: %v", c.ConnID, err)
		}
	}
	return nil
}

// AddConnection creates a connection; one with the same conn_id is ErrConflict.
func (a *App) AddConnection(ctx context.Context, who Actor, c tasks.Connection) (ConnectionInfo, error) {
	if err := checkConnection(c); err != nil {
		return ConnectionInfo{}, err
	}
	if err := a.Store.AddConnection(ctx, c); errors.Is(err, scheduler.ErrExists) {
		return ConnectionInfo{}, fmt.Errorf("connection %q already exists: delete it first, or change it (PATCH "+
			"/api/v1/connections/%s, or Admin > Connections): %w", c.ConnID, c.ConnID, ErrConflict)
	} else if err != nil {
		return ConnectionInfo{}, err
	}
	a.audit(ctx, who, "connection.create", scheduler.AuditEvent{Extra: c.ConnID + " (" + c.ConnType + ")"})
	a.connectionsChanged(ctx)
	return connectionInfo(c), nil
}

// EditConnection replaces an existing connection; changed names the fields, for the audit
// log. A password or extra value of *** keeps the stored one (see Unmask).
func (a *App) EditConnection(ctx context.Context, who Actor, c tasks.Connection, changed []string) (ConnectionInfo, error) {
	if err := checkConnection(c); err != nil {
		return ConnectionInfo{}, err
	}
	stored, err := a.GetConnection(ctx, c.ConnID)
	if err != nil {
		return ConnectionInfo{}, err
	}
	c = Unmask(c, stored)
	if err := a.Store.SetConnection(ctx, c); err != nil {
		return ConnectionInfo{}, err
	}
	sort.Strings(changed)
	a.audit(ctx, who, "connection.edit", scheduler.AuditEvent{Extra: c.ConnID + " " + strings.Join(changed, ",")})
	return connectionInfo(c), nil
}

// GetConnection returns one connection with its secrets: for the host calls and the tests of
// a connection only. Show it with ConnectionInfoOf.
func (a *App) GetConnection(ctx context.Context, connID string) (tasks.Connection, error) {
	c, err := a.Store.GetConnection(ctx, connID)
	if errors.Is(err, scheduler.ErrNotFound) {
		return c, fmt.Errorf("connection %q %w: `wasmflow connections list` shows the defined ones", connID, scheduler.ErrNotFound)
	}
	return c, err
}

// ConnectionInfoOf returns one connection as it may be shown.
func (a *App) ConnectionInfoOf(ctx context.Context, connID string) (ConnectionInfo, error) {
	c, err := a.GetConnection(ctx, connID)
	if err != nil {
		return ConnectionInfo{}, err
	}
	return connectionInfo(c), nil
}

// ListConnections lists every connection as it may be shown, by conn_id.
func (a *App) ListConnections(ctx context.Context) ([]ConnectionInfo, error) {
	cs, err := a.Store.ListConnections(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ConnectionInfo, len(cs))
	for i, c := range cs {
		out[i] = connectionInfo(c)
	}
	return out, nil
}

// DeleteConnection removes a connection. DAGs that grant it get an import error at the next
// sync (run now); tries of them that start fail with scheduler.MissingConnectionError.
func (a *App) DeleteConnection(ctx context.Context, who Actor, connID string) error {
	if err := a.Store.DeleteConnection(ctx, connID); err != nil {
		if errors.Is(err, scheduler.ErrNotFound) {
			return fmt.Errorf("connection %q %w", connID, scheduler.ErrNotFound)
		}
		return err
	}
	a.audit(ctx, who, "connection.delete", scheduler.AuditEvent{Extra: connID})
	a.connectionsChanged(ctx)
	return nil
}

// connectionsChanged syncs the DAG folders again, so that import errors follow the defined
// conn_ids: a DAG granting a connection just added parses, one granting a connection just
// deleted no longer does.
func (a *App) connectionsChanged(ctx context.Context) {
	rep, err := a.SyncDags(ctx)
	if err != nil {
		// The change is stored; the scheduler's periodic sync picks it up.
		a.Log.Error("sync DAG folders after a connection change", "err", err)
		return
	}
	a.announce(rep)
}

// ParseConnectionURI reads Airflow's connection URI, conn-type://login:password@host:port/schema?extra,
// into a connection: the scheme is the conn_type ('-' read as '_', postgresql as postgres), the
// query the extra (each parameter a key, or the JSON of __extra__).
func ParseConnectionURI(connID, uri string) (tasks.Connection, error) {
	c := tasks.Connection{ConnID: connID}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || !strings.Contains(uri, "://") {
		return c, marked(ErrInvalid, "connection URI is not conn-type://login:password@host:port/schema?param=value (e.g. postgres://user:pass@db:5432/mydb)")
	}
	c.ConnType = strings.ReplaceAll(strings.ToLower(u.Scheme), "-", "_")
	if c.ConnType == "postgresql" {
		c.ConnType = "postgres"
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil {
			return c, marked(ErrInvalid, "connection URI: port %q is not a number", p)
		}
	}
	if u.User != nil {
		c.Login = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	c.Schema = strings.TrimPrefix(u.Path, "/")
	q := u.Query()
	if raw := q.Get("__extra__"); raw != "" {
		c.Extra = raw
	} else if len(q) > 0 {
		extra := map[string]string{}
		for k := range q {
			extra[k] = q.Get(k)
		}
		b, _ := json.Marshal(extra)
		c.Extra = string(b)
	}
	return c, nil
}
