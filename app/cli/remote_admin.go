package cli

import (
	"context"
	"net/http"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// variableStore is where the variables commands work: the local home, or a server's API
// (--server). list shows values as the listing does (a secret's masked), get the value itself.
type variableStore interface {
	list(ctx context.Context) ([]scheduler.Variable, error)
	unmasked(ctx context.Context) ([]scheduler.Variable, error) // every value as it is, for export
	get(ctx context.Context, key string) (scheduler.Variable, error)
	set(ctx context.Context, v scheduler.Variable) error
	del(ctx context.Context, key string) error
}

// poolStore is where the pools commands work.
type poolStore interface {
	list(ctx context.Context) ([]scheduler.Pool, error)
	get(ctx context.Context, name string) (scheduler.Pool, error)
	set(ctx context.Context, p scheduler.Pool) error
	del(ctx context.Context, name string) error
}

func (e *env) variables(ctx context.Context) (variableStore, error) {
	if c, err := e.remote(); err != nil || c != nil {
		return remoteVariables{c}, err
	}
	a, err := e.open(ctx, false)
	return localVariables{a}, err
}

func (e *env) pools(ctx context.Context) (poolStore, error) {
	if c, err := e.remote(); err != nil || c != nil {
		return remotePools{c}, err
	}
	a, err := e.open(ctx, false)
	return localPools{a}, err
}

type localVariables struct{ a *app.App }

func (l localVariables) list(ctx context.Context) ([]scheduler.Variable, error) {
	return l.a.ListVariables(ctx)
}
func (l localVariables) unmasked(ctx context.Context) ([]scheduler.Variable, error) {
	return l.a.Store.ListVariables(ctx)
}
func (l localVariables) get(ctx context.Context, key string) (scheduler.Variable, error) {
	return l.a.GetVariable(ctx, key)
}
func (l localVariables) set(ctx context.Context, v scheduler.Variable) error {
	return l.a.SetVariable(ctx, app.LocalActor(), v)
}
func (l localVariables) del(ctx context.Context, key string) error {
	return l.a.DeleteVariable(ctx, app.LocalActor(), key)
}

// variableJSON is a variable in Airflow's REST shape.
type variableJSON struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Description string `json:"description"`
}

type remoteVariables struct{ c *client }

func (r remoteVariables) list(ctx context.Context) ([]scheduler.Variable, error) {
	vs, err := listAll[variableJSON](ctx, r.c, "/api/v1/variables", "variables", nil)
	out := make([]scheduler.Variable, len(vs))
	for i, v := range vs {
		out[i] = scheduler.Variable(v)
	}
	return out, err
}

// unmasked reads again, one by one, the variables the listing masks.
func (r remoteVariables) unmasked(ctx context.Context) ([]scheduler.Variable, error) {
	vs, err := r.list(ctx)
	for i := range vs {
		if err == nil && vs[i].Value == tasks.Masked {
			vs[i], err = r.get(ctx, vs[i].Key)
		}
	}
	return vs, err
}
func (r remoteVariables) get(ctx context.Context, key string) (scheduler.Variable, error) {
	var v variableJSON
	err := r.c.call(ctx, http.MethodGet, apiPath("variables", key), nil, &v)
	return scheduler.Variable(v), err
}

// set replaces the variable, or creates it when the server has none by that key.
func (r remoteVariables) set(ctx context.Context, v scheduler.Variable) error {
	body := variableJSON(v)
	err := r.c.call(ctx, http.MethodPatch, apiPath("variables", v.Key), body, nil)
	if hasStatus(err, http.StatusNotFound) {
		err = r.c.call(ctx, http.MethodPost, "/api/v1/variables", body, nil)
	}
	return err
}
func (r remoteVariables) del(ctx context.Context, key string) error {
	return r.c.call(ctx, http.MethodDelete, apiPath("variables", key), nil, nil)
}

type localPools struct{ a *app.App }

func (l localPools) list(ctx context.Context) ([]scheduler.Pool, error) { return l.a.ListPools(ctx) }
func (l localPools) get(ctx context.Context, name string) (scheduler.Pool, error) {
	return l.a.Store.GetPool(ctx, name)
}
func (l localPools) set(ctx context.Context, p scheduler.Pool) error {
	return l.a.SetPool(ctx, app.LocalActor(), p)
}
func (l localPools) del(ctx context.Context, name string) error {
	return l.a.DeletePool(ctx, app.LocalActor(), name)
}

// poolJSON is a pool in Airflow's REST shape (the fields the CLI shows).
type poolJSON struct {
	Name        string `json:"name"`
	Slots       int    `json:"slots"`
	Description string `json:"description"`
}

type remotePools struct{ c *client }

func (r remotePools) list(ctx context.Context) ([]scheduler.Pool, error) {
	ps, err := listAll[poolJSON](ctx, r.c, "/api/v1/pools", "pools", nil)
	out := make([]scheduler.Pool, len(ps))
	for i, p := range ps {
		out[i] = scheduler.Pool(p)
	}
	return out, err
}
func (r remotePools) get(ctx context.Context, name string) (scheduler.Pool, error) {
	var p poolJSON
	err := r.c.call(ctx, http.MethodGet, apiPath("pools", name), nil, &p)
	return scheduler.Pool(p), err
}

// set changes the pool, or creates it when the server has none by that name.
func (r remotePools) set(ctx context.Context, p scheduler.Pool) error {
	body := poolJSON(p)
	err := r.c.call(ctx, http.MethodPatch, apiPath("pools", p.Name), body, nil)
	if hasStatus(err, http.StatusNotFound) {
		err = r.c.call(ctx, http.MethodPost, "/api/v1/pools", body, nil)
	}
	return err
}
func (r remotePools) del(ctx context.Context, name string) error {
	return r.c.call(ctx, http.MethodDelete, apiPath("pools", name), nil, nil)
}

// listUsers lists the users of the local home or of the server.
func (e *env) listUsers(ctx context.Context) ([]app.UserInfo, error) {
	if c, err := e.remote(); err != nil || c != nil {
		if err != nil {
			return nil, err
		}
		return listAll[app.UserInfo](ctx, c, "/api/v1/users", "users", nil)
	}
	a, err := e.open(ctx, false)
	if err != nil {
		return nil, err
	}
	return a.ListUsers(ctx)
}

// createUser adds a user to the local home or the server; a password not given is generated
// (here, for the server, whose API needs one) and returned to be shown once.
func (e *env) createUser(ctx context.Context, n app.NewUser) (app.UserInfo, string, error) {
	c, err := e.remote()
	if err != nil {
		return app.UserInfo{}, "", err
	}
	if c == nil {
		a, err := e.open(ctx, false)
		if err != nil {
			return app.UserInfo{}, "", err
		}
		return a.CreateUser(ctx, app.LocalActor(), n)
	}
	if n.Password == "" {
		if n.Password, err = app.RandomPassword(); err != nil {
			return app.UserInfo{}, "", err
		}
	}
	var u app.UserInfo
	body := map[string]string{"username": n.Username, "password": n.Password, "role": n.Role, "email": n.Email,
		"first_name": n.FirstName, "last_name": n.LastName}
	return u, n.Password, c.call(ctx, http.MethodPost, "/api/v1/users", body, &u)
}
