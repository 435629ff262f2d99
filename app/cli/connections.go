package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/tasks"
)

// connections is where the connections commands work: the local home, or a server's API
// (--server), which answer the same shapes.
type connections interface {
	list(ctx context.Context) ([]app.ConnectionInfo, error)
	get(ctx context.Context, id string) (app.ConnectionInfo, error)
	add(ctx context.Context, c tasks.Connection) (app.ConnectionInfo, error)
	del(ctx context.Context, id string) error
	test(ctx context.Context, id string) (app.ConnectionTest, error)
}

type localConnections struct{ a *app.App }

func (l localConnections) list(ctx context.Context) ([]app.ConnectionInfo, error) {
	return l.a.ListConnections(ctx)
}
func (l localConnections) get(ctx context.Context, id string) (app.ConnectionInfo, error) {
	return l.a.ConnectionInfoOf(ctx, id)
}
func (l localConnections) add(ctx context.Context, c tasks.Connection) (app.ConnectionInfo, error) {
	return l.a.AddConnection(ctx, app.LocalActor(), c)
}
func (l localConnections) del(ctx context.Context, id string) error {
	return l.a.DeleteConnection(ctx, app.LocalActor(), id)
}
func (l localConnections) test(ctx context.Context, id string) (app.ConnectionTest, error) {
	c, err := l.a.GetConnection(ctx, id)
	if err != nil {
		return app.ConnectionTest{}, err
	}
	return l.a.TestConnection(ctx, app.LocalActor(), c), nil
}

type remoteConnections struct{ c *client }

func (r remoteConnections) list(ctx context.Context) ([]app.ConnectionInfo, error) {
	return listAll[app.ConnectionInfo](ctx, r.c, "/api/v1/connections", "connections", nil)
}
func (r remoteConnections) get(ctx context.Context, id string) (app.ConnectionInfo, error) {
	var out app.ConnectionInfo
	return out, r.c.call(ctx, "GET", apiPath("connections", id), nil, &out)
}
func (r remoteConnections) add(ctx context.Context, c tasks.Connection) (app.ConnectionInfo, error) {
	var out app.ConnectionInfo
	return out, r.c.call(ctx, "POST", "/api/v1/connections", connectionBody(c), &out)
}
func (r remoteConnections) del(ctx context.Context, id string) error {
	return r.c.call(ctx, "DELETE", apiPath("connections", id), nil, nil)
}
func (r remoteConnections) test(ctx context.Context, id string) (app.ConnectionTest, error) {
	var out app.ConnectionTest
	return out, r.c.call(ctx, "POST", "/api/v1/connections/test", map[string]any{"connection_id": id}, &out)
}

// connectionBody is c in Airflow's JSON, the password included (write-only on the server).
func connectionBody(c tasks.Connection) map[string]any {
	b := map[string]any{"connection_id": c.ConnID, "conn_type": c.ConnType, "description": c.Description,
		"host": c.Host, "login": c.Login, "schema": c.Schema, "password": c.Password, "extra": c.Extra}
	if c.Port != 0 {
		b["port"] = c.Port
	}
	return b
}

// connections returns the local home's or the server's connections.
func (e *env) connections(ctx context.Context) (connections, error) {
	c, err := e.remote()
	if err != nil {
		return nil, err
	}
	if c != nil {
		return remoteConnections{c}, nil
	}
	a, err := e.open(ctx, false)
	if err != nil {
		return nil, err
	}
	return localConnections{a}, nil
}

func (e *env) connectionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "connections", Short: "Manage connections: how tasks reach external systems, with their credentials"}
	cmd.AddCommand(allowRemote(e.connectionsAdd()), allowRemote(e.connectionsList()), allowRemote(e.connectionsGet()),
		allowRemote(e.connectionsDelete()), allowRemote(e.connectionsTest()))
	return cmd
}

func (e *env) connectionsAdd() *cobra.Command {
	cmd := &cobra.Command{Use: "add CONN_ID", Short: "Add a connection (--conn-type and the other --conn-* flags, or --conn-uri)",
		Long: `Add a connection, as Airflow's 'connections add': either its fields, e.g.
  wasmflow connections add my_api --conn-type http --conn-host api.example.com --conn-schema https \
    --conn-login bot --conn-password S3CRET --conn-extra '{"timeout": 10}'
or Airflow's URI, whose query becomes the extra:
  wasmflow connections add my_db --conn-uri 'postgres://user:pass@db.internal:5432/sales?sslmode=require'
The password and the extra are stored encrypted and never shown again.`,
		Args: args(1, "CONN_ID")}
	f := cmd.Flags()
	uri := f.String("conn-uri", "", "the connection as a URI: conn-type://login:password@host:port/schema?param=value")
	typ := f.String("conn-type", "", "the connection type: http, sqlite, postgres, ...")
	host := f.String("conn-host", "", "the host (for sqlite: the database file)")
	port := f.Int("conn-port", 0, "the port (default: the type's)")
	login := f.String("conn-login", "", "the login")
	password := f.String("conn-password", "", "the password (stored encrypted)")
	schema := f.String("conn-schema", "", "the schema (for http: http or https; for a database: its name)")
	extra := f.String("conn-extra", "", `extra settings as a JSON object, e.g. {"token": "..."} (stored encrypted)`)
	desc := f.String("conn-description", "", "what the connection is for")
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		c := tasks.Connection{ConnID: a[0], ConnType: *typ, Host: *host, Port: *port, Login: *login, Password: *password,
			Schema: *schema, Extra: *extra, Description: *desc}
		if *uri != "" {
			for _, name := range []string{"conn-type", "conn-host", "conn-port", "conn-login", "conn-password", "conn-schema"} {
				if cmd.Flags().Changed(name) {
					return usageError{fmt.Errorf("--%s cannot be given with --conn-uri, which holds it: put it in the URI", name)}
				}
			}
			var err error
			if c, err = app.ParseConnectionURI(a[0], *uri); err != nil {
				return usageError{err}
			}
			c.Description = *desc
			if cmd.Flags().Changed("conn-extra") {
				c.Extra = *extra
			}
		} else if *typ == "" {
			return usageError{errors.New("give --conn-type (e.g. http, sqlite, postgres) or --conn-uri")}
		}
		conns, err := e.connections(cmd.Context())
		if err != nil {
			return err
		}
		info, err := conns.add(cmd.Context(), c)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.io.Stdout, "Successfully added `conn_id`=%s : %s\n", info.ConnectionID, maskedURI(info))
		return nil
	})
	return cmd
}

// maskedURI shows a connection as Airflow's URI, the password as *** (the extra is not shown).
func maskedURI(c app.ConnectionInfo) string {
	u := url.URL{Scheme: c.ConnType, Host: c.Host, Path: "/" + c.Schema}
	if c.Port != nil {
		u.Host = net.JoinHostPort(c.Host, strconv.Itoa(*c.Port))
	}
	if c.Login != "" || c.HasPassword {
		if c.HasPassword {
			u.User = url.UserPassword(c.Login, app.Masked)
		} else {
			u.User = url.User(c.Login)
		}
	}
	s, _ := url.PathUnescape(u.String())
	return s
}

func portText(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func (e *env) connectionsList() *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List the connections (passwords are never shown; secrets in extra are masked)", Args: args(0)}
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		conns, err := e.connections(cmd.Context())
		if err != nil {
			return err
		}
		cs, err := conns.list(cmd.Context())
		if err != nil {
			return err
		}
		l := listing{data: cs, header: []string{"conn_id", "conn_type", "description", "host", "port", "schema", "login", "extra"}}
		for _, c := range cs {
			l.rows = append(l.rows, []string{c.ConnectionID, c.ConnType, c.Description, c.Host, portText(c.Port), c.Schema, c.Login, c.Extra})
		}
		return render(e.io.Stdout, *out, l)
	})
	return cmd
}

func (e *env) connectionsGet() *cobra.Command {
	cmd := &cobra.Command{Use: "get CONN_ID", Short: "Show one connection (the password as ***)", Args: args(1, "CONN_ID")}
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		conns, err := e.connections(cmd.Context())
		if err != nil {
			return err
		}
		c, err := conns.get(cmd.Context(), a[0])
		if err != nil {
			return err
		}
		password := ""
		if c.HasPassword {
			password = app.Masked
		}
		type shown struct {
			app.ConnectionInfo
			Password string `json:"password"`
		}
		l := listing{data: shown{c, password}, header: []string{"conn_id", "conn_type", "description", "host", "port", "schema", "login", "password", "extra"},
			rows: [][]string{{c.ConnectionID, c.ConnType, c.Description, c.Host, portText(c.Port), c.Schema, c.Login, password, c.Extra}}}
		return render(e.io.Stdout, *out, l)
	})
	return cmd
}

func (e *env) connectionsDelete() *cobra.Command {
	return &cobra.Command{Use: "delete CONN_ID", Short: "Delete a connection (DAGs that grant it get an import error)", Args: args(1, "CONN_ID"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			conns, err := e.connections(cmd.Context())
			if err != nil {
				return err
			}
			if err := conns.del(cmd.Context(), a[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.io.Stdout, "Successfully deleted connection with `conn_id`=%s\n", a[0])
			return nil
		})}
}

func (e *env) connectionsTest() *cobra.Command {
	cmd := &cobra.Command{Use: "test CONN_ID", Short: "Test a connection: http sends a request, sqlite opens the file, postgres connects to the port",
		Args: args(1, "CONN_ID")}
	out := cmd.Flags().StringP("output", "o", "text", "output format: text, or json for Airflow's {status, message}")
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		if *out != "text" && *out != "json" {
			return usageError{fmt.Errorf("unknown output format %q: use text or json", *out)}
		}
		conns, err := e.connections(cmd.Context())
		if err != nil {
			return err
		}
		res, err := conns.test(cmd.Context(), a[0])
		if err != nil {
			return err
		}
		if *out == "json" {
			enc := json.NewEncoder(e.io.Stdout)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(res); err != nil {
				return err
			}
		} else if res.Status {
			fmt.Fprintf(e.io.Stdout, "Connection success!\n%s\n", res.Message)
		}
		if !res.Status {
			return fmt.Errorf("connection %s failed its test: %s", a[0], res.Message)
		}
		return nil
	})
	return cmd
}
