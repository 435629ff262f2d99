package api

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// --- connections (Airflow's Connection endpoints; the password is write-only) ---

// connectionOrder are the fields a listing may be ordered by (order_by, "-" for descending).
var connectionOrder = map[string]func(a, b app.ConnectionInfo) int{
	"connection_id": func(a, b app.ConnectionInfo) int { return cmp.Compare(a.ConnectionID, b.ConnectionID) },
	"conn_type":     func(a, b app.ConnectionInfo) int { return cmp.Compare(a.ConnType, b.ConnType) },
	"description":   func(a, b app.ConnectionInfo) int { return cmp.Compare(a.Description, b.Description) },
	"host":          func(a, b app.ConnectionInfo) int { return cmp.Compare(a.Host, b.Host) },
	"login":         func(a, b app.ConnectionInfo) int { return cmp.Compare(a.Login, b.Login) },
	"schema":        func(a, b app.ConnectionInfo) int { return cmp.Compare(a.Schema, b.Schema) },
	"port":          func(a, b app.ConnectionInfo) int { return cmp.Compare(portOf(a), portOf(b)) },
}

func portOf(c app.ConnectionInfo) int {
	if c.Port == nil {
		return 0
	}
	return *c.Port
}

func (s *Server) listConnections(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	ob := cmp.Or(r.URL.Query().Get("order_by"), "connection_id")
	by, ok := connectionOrder[strings.TrimPrefix(ob, "-")]
	if !ok {
		names := make([]string, 0, len(connectionOrder))
		for n := range connectionOrder {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, badRequest("order_by must be one of %s (with - before it to reverse), not %q", strings.Join(names, ", "), ob)
	}
	cs, err := s.app.ListConnections(r.Context())
	if err != nil {
		return nil, connectionError(err)
	}
	slices.SortStableFunc(cs, func(a, b app.ConnectionInfo) int {
		if strings.HasPrefix(ob, "-") {
			return by(b, a)
		}
		return by(a, b)
	})
	from, to := p.slice(len(cs))
	return map[string]any{"connections": cs[from:to], "total_entries": len(cs)}, nil
}

func (s *Server) getConnection(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	c, err := s.app.ConnectionInfoOf(r.Context(), r.PathValue("connection_id"))
	if err != nil {
		return nil, connectionError(err)
	}
	return c, nil
}

// connectionBody is Airflow's Connection as sent: every field optional, so a PATCH changes
// only what it names.
type connectionBody struct {
	ConnectionID *string `json:"connection_id"`
	ConnType     *string `json:"conn_type"`
	Description  *string `json:"description"`
	Host         *string `json:"host"`
	Login        *string `json:"login"`
	Schema       *string `json:"schema"`
	Port         *int    `json:"port"`
	Password     *string `json:"password"`
	Extra        *string `json:"extra"`
}

// connectionFields are the fields of a connection a body or an update_mask may name.
var connectionFields = []string{"conn_type", "description", "host", "login", "schema", "port", "password", "extra"}

// apply copies the named fields of b onto c (a field named but absent or null becomes empty).
func (b connectionBody) apply(c *tasks.Connection, fields []string) {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for _, f := range fields {
		switch f {
		case "conn_type":
			c.ConnType = str(b.ConnType)
		case "description":
			c.Description = str(b.Description)
		case "host":
			c.Host = str(b.Host)
		case "login":
			c.Login = str(b.Login)
		case "schema":
			c.Schema = str(b.Schema)
		case "port":
			c.Port = 0
			if b.Port != nil {
				c.Port = *b.Port
			}
		case "password":
			c.Password = str(b.Password)
		case "extra":
			c.Extra = str(b.Extra)
		}
	}
}

// given lists the fields the body sets.
func (b connectionBody) given() []string {
	set := map[string]bool{"conn_type": b.ConnType != nil, "description": b.Description != nil, "host": b.Host != nil,
		"login": b.Login != nil, "schema": b.Schema != nil, "port": b.Port != nil, "password": b.Password != nil, "extra": b.Extra != nil}
	var out []string
	for _, f := range connectionFields {
		if set[f] {
			out = append(out, f)
		}
	}
	return out
}

func (s *Server) postConnection(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var b connectionBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if b.ConnectionID == nil || b.ConnType == nil {
		return nil, badRequest(`a connection needs "connection_id" and "conn_type" (e.g. http, sqlite, postgres)`)
	}
	c := tasks.Connection{ConnID: *b.ConnectionID}
	b.apply(&c, connectionFields)
	info, err := s.app.AddConnection(r.Context(), p.actor(), c)
	if err != nil {
		return nil, connectionError(err)
	}
	return info, nil // Airflow answers 200, not 201
}

func (s *Server) patchConnection(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var b connectionBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	id := r.PathValue("connection_id")
	if b.ConnectionID != nil && *b.ConnectionID != id {
		return nil, badRequest("a connection cannot be renamed: add %q and delete %q", *b.ConnectionID, id)
	}
	c, err := s.app.GetConnection(r.Context(), id)
	if err != nil {
		return nil, connectionError(err)
	}
	fields := b.given()
	if mask := updateMask(r); mask != nil {
		for _, f := range mask {
			if !slices.Contains(connectionFields, f) {
				return nil, badRequest("update_mask: %q is unknown or cannot be updated; the fields are %s", f, strings.Join(connectionFields, ", "))
			}
		}
		fields = mask
	}
	b.apply(&c, fields)
	info, err := s.app.EditConnection(r.Context(), p.actor(), c, fields)
	if err != nil {
		return nil, connectionError(err)
	}
	return info, nil
}

// updateMask reads update_mask, as a repeated parameter or comma-separated; nil if absent.
func updateMask(r *http.Request) []string {
	vs, ok := r.URL.Query()["update_mask"]
	if !ok {
		return nil
	}
	out := []string{}
	for _, v := range vs {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request, p principal) (any, error) {
	if err := s.app.DeleteConnection(r.Context(), p.actor(), r.PathValue("connection_id")); err != nil {
		return nil, err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil, nil
}

// testConnection tests the connection in the body. When its connection_id names a stored
// connection, what the body leaves out (or sends as ***) is the stored value, so a stored
// connection is tested by its id alone, its password never sent back and forth.
func (s *Server) testConnection(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var b connectionBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	var c tasks.Connection
	if b.ConnectionID != nil && *b.ConnectionID != "" {
		stored, err := s.app.GetConnection(r.Context(), *b.ConnectionID)
		switch {
		case err == nil:
			c = stored
			b.apply(&c, b.given())
			c = app.Unmask(c, stored)
		case errors.Is(err, scheduler.ErrNotFound):
			c.ConnID = *b.ConnectionID
			b.apply(&c, connectionFields)
		default:
			return nil, connectionError(err)
		}
	} else {
		b.apply(&c, connectionFields)
	}
	if c.ConnType == "" {
		return nil, badRequest(`give the "conn_type" of the connection to test, or the "connection_id" of a stored one`)
	}
	return s.app.TestConnection(r.Context(), p.actor(), c), nil
}

// connectionError answers a refused change as 400 (409 for a conn_id taken), whatever the
// method, and a secret key that does not open the secrets as a 500 that says so: that is for
// the server's admin to fix (core.fernet_key or the key file), and no request will.
func connectionError(err error) error {
	switch {
	case errors.Is(err, app.ErrInvalid):
		return badRequest("%v", err)
	case errors.Is(err, metastore.ErrSecretKey):
		return &httpError{http.StatusInternalServerError, err.Error()}
	}
	return err
}
