package api

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// --- auth ---

type meInfo struct {
	Username  string `json:"username"`
	Role      string `json:"role"`
	CSRFToken string `json:"csrf_token"`
	// Desktop says the views run in the desktop window: no login, native dialogs.
	Desktop bool `json:"desktop,omitempty"`
}

func (s *Server) loginHandler(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	p, err := s.login(r.Context(), s.clientAddr(r), body.Username, body.Password)
	var te *throttledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", fmt.Sprint(int(te.wait.Seconds())+1))
		return nil, &httpError{http.StatusTooManyRequests, err.Error()}
	case errors.As(err, new(*httpError)):
		s.log.Warn("refused a malformed login", "username", logName(body.Username), "remote", r.RemoteAddr, "err", err)
		return nil, err
	case err != nil:
		s.log.Warn("failed login", "username", logName(body.Username), "remote", r.RemoteAddr) // never the password
		return nil, &httpError{http.StatusUnauthorized, err.Error()}
	}
	s.app.RecordLogin(r.Context(), p.Username)
	return meInfo{Username: p.Username, Role: p.Role.String(), CSRFToken: s.newSession(w, r, p)}, nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.revokeSession(r.Context(), "session", c.Value); err != nil {
			// The cookie is kept: the user must know the session still opens the account.
			s.log.Error("log out", "err", err)
			return nil, &httpError{http.StatusInternalServerError, "the session could not be revoked, so it still opens the account: try again (the server's log says why)"}
		}
	}
	// A script logging out with its bearer token ends that token, as a browser its session.
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		tok = strings.TrimPrefix(strings.TrimSpace(tok), tokenPrefix)
		if err := s.revokeSession(r.Context(), "token", tok); err != nil {
			s.log.Error("log out", "err", err)
			return nil, &httpError{http.StatusInternalServerError, "the bearer token could not be revoked, so it still opens the account: try again (the server's log says why)"}
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
	return nil, nil
}

func (s *Server) me(_ http.ResponseWriter, _ *http.Request, p principal) (any, error) {
	out := meInfo{Username: p.Username, Role: p.Role.String(), Desktop: s.opts.Desktop != nil}
	if p.Session != "" {
		out.CSRFToken = s.sign.csrf(p.Session)
	}
	return out, nil
}

// --- pools ---

type poolInfo struct {
	Name          string `json:"name"`
	Slots         int    `json:"slots"` // -1 = unlimited
	OccupiedSlots int    `json:"occupied_slots"`
	UsedSlots     int    `json:"used_slots"`    // Airflow's name: the slots of running tasks
	RunningSlots  int    `json:"running_slots"` // the same, as the views read it
	QueuedSlots   int    `json:"queued_slots"`
	OpenSlots     int    `json:"open_slots"` // -1 = unlimited
	Description   string `json:"description"`
}

func (s *Server) pools(r *http.Request) ([]poolInfo, error) {
	pools, err := s.app.ListPools(r.Context())
	if err != nil {
		return nil, err
	}
	usage, err := s.app.Store.PoolUsage(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]poolInfo, len(pools))
	for i, p := range pools {
		u := usage[p.Name]
		open := -1
		if p.Slots >= 0 {
			open = max(0, p.Slots-u.Running-u.Queued)
		}
		out[i] = poolInfo{Name: p.Name, Slots: p.Slots, OccupiedSlots: u.Running + u.Queued, UsedSlots: u.Running, RunningSlots: u.Running,
			QueuedSlots: u.Queued, OpenSlots: open, Description: p.Description}
	}
	return out, nil
}

func (s *Server) listPools(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	pools, err := s.pools(r)
	if err != nil {
		return nil, err
	}
	if err := sortBy(r, pools, "name", poolOrders); err != nil {
		return nil, err
	}
	from, to := p.slice(len(pools))
	return map[string]any{"pools": pools[from:to], "total_entries": len(pools)}, nil
}

// poolOrders are the order_by values of /pools.
var poolOrders = map[string]func(a, b poolInfo) int{
	"name":           func(a, b poolInfo) int { return strings.Compare(a.Name, b.Name) },
	"slots":          func(a, b poolInfo) int { return cmp.Compare(a.Slots, b.Slots) },
	"occupied_slots": func(a, b poolInfo) int { return cmp.Compare(a.OccupiedSlots, b.OccupiedSlots) },
	"used_slots":     func(a, b poolInfo) int { return cmp.Compare(a.UsedSlots, b.UsedSlots) },
	"queued_slots":   func(a, b poolInfo) int { return cmp.Compare(a.QueuedSlots, b.QueuedSlots) },
	"open_slots":     func(a, b poolInfo) int { return cmp.Compare(a.OpenSlots, b.OpenSlots) },
}

func (s *Server) getPool(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	pools, err := s.pools(r)
	if err != nil {
		return nil, err
	}
	for _, p := range pools {
		if p.Name == r.PathValue("name") {
			return p, nil
		}
	}
	return nil, notFound("pool %q not found", r.PathValue("name"))
}

type poolBody struct {
	Name        *string `json:"name"`
	Slots       *int    `json:"slots"`
	Description *string `json:"description"`
}

func (s *Server) postPool(w http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var b poolBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if b.Name == nil || b.Slots == nil {
		return nil, badRequest(`a pool needs "name" and "slots" (-1 for unlimited)`)
	}
	if _, err := s.app.Store.GetPool(r.Context(), *b.Name); err == nil {
		return nil, &httpError{http.StatusConflict, fmt.Sprintf("pool %q already exists: PATCH /api/v1/pools/%s changes it", *b.Name, *b.Name)}
	}
	pool := scheduler.Pool{Name: *b.Name, Slots: *b.Slots}
	if b.Description != nil {
		pool.Description = *b.Description
	}
	if err := s.app.SetPool(r.Context(), p.actor(), pool); err != nil {
		return nil, badRequest("%v", err)
	}
	r.SetPathValue("name", pool.Name)
	return s.getPool(w, r, p)
}

func (s *Server) patchPool(w http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var b poolBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	mask, err := maskOf(r, []string{"name", "slots", "description"}, func(f string) bool {
		return map[string]bool{"name": b.Name != nil, "slots": b.Slots != nil, "description": b.Description != nil}[f]
	})
	if err != nil {
		return nil, err
	}
	pool, err := s.app.Store.GetPool(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, notFound("pool %q not found", r.PathValue("name"))
	}
	if changes(mask, "name", b.Name != nil) && *b.Name != pool.Name {
		return nil, badRequest("a pool cannot be renamed: create %q and delete %q", *b.Name, pool.Name)
	}
	if changes(mask, "slots", b.Slots != nil) {
		pool.Slots = *b.Slots
	}
	if changes(mask, "description", b.Description != nil) {
		pool.Description = *b.Description
	}
	if err := s.app.SetPool(r.Context(), p.actor(), pool); err != nil {
		return nil, badRequest("%v", err)
	}
	return s.getPool(w, r, p)
}

func (s *Server) deletePool(w http.ResponseWriter, r *http.Request, p principal) (any, error) {
	if err := s.app.DeletePool(r.Context(), p.actor(), r.PathValue("name")); err != nil {
		return nil, err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil, nil
}

// --- variables ---

type variableInfo struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Description string `json:"description"`
}

func (s *Server) listVariables(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	vs, err := s.app.ListVariables(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]variableInfo, len(vs))
	for i, v := range vs {
		out[i] = variableInfo(v)
	}
	if err := sortBy(r, out, "key", variableOrders); err != nil {
		return nil, err
	}
	from, to := p.slice(len(out))
	return map[string]any{"variables": out[from:to], "total_entries": len(out)}, nil
}

// variableOrders are the order_by values of /variables.
var variableOrders = map[string]func(a, b variableInfo) int{
	"key":         func(a, b variableInfo) int { return strings.Compare(a.Key, b.Key) },
	"description": func(a, b variableInfo) int { return strings.Compare(a.Description, b.Description) },
}

func (s *Server) getVariable(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	v, err := s.app.GetVariable(r.Context(), r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	return variableInfo(v), nil
}

type variableBody struct {
	Key         *string `json:"key"`
	Value       *string `json:"value"`
	Description *string `json:"description"`
}

func (s *Server) postVariable(w http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var b variableBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if b.Key == nil || b.Value == nil {
		return nil, badRequest(`a variable needs "key" and "value"`)
	}
	v := scheduler.Variable{Key: *b.Key, Value: *b.Value}
	if b.Description != nil {
		v.Description = *b.Description
	}
	if err := s.app.SetVariable(r.Context(), p.actor(), v); err != nil {
		return nil, badRequest("%v", err)
	}
	return variableInfo(v), nil
}

func (s *Server) patchVariable(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var b variableBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	mask, err := maskOf(r, []string{"key", "value", "description"}, func(f string) bool {
		return map[string]bool{"key": b.Key != nil, "value": b.Value != nil, "description": b.Description != nil}[f]
	})
	if err != nil {
		return nil, err
	}
	v, err := s.app.GetVariable(r.Context(), r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	if changes(mask, "key", b.Key != nil) && *b.Key != v.Key {
		return nil, badRequest("a variable cannot be renamed: create %q and delete %q", *b.Key, v.Key)
	}
	// The listing's "***" sent back unchanged (the UI's edit form, prefilled from the listing)
	// keeps the secret, as Airflow's forms do; any other value replaces it.
	if changes(mask, "value", b.Value != nil) && (*b.Value != tasks.Masked || !tasks.SensitiveName(v.Key)) {
		v.Value = *b.Value
	}
	if changes(mask, "description", b.Description != nil) {
		v.Description = *b.Description
	}
	if err := s.app.SetVariable(r.Context(), p.actor(), v); err != nil {
		return nil, badRequest("%v", err)
	}
	return variableInfo(v), nil
}

func (s *Server) deleteVariable(w http.ResponseWriter, r *http.Request, p principal) (any, error) {
	if err := s.app.DeleteVariable(r.Context(), p.actor(), r.PathValue("key")); err != nil {
		return nil, err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil, nil
}

// --- users ---

func (s *Server) listUsers(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	users, err := s.app.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	if err := sortBy(r, users, "username", userOrders); err != nil {
		return nil, err
	}
	from, to := p.slice(len(users))
	return map[string]any{"users": users[from:to], "total_entries": len(users)}, nil
}

// userOrders are the order_by values of /users.
var userOrders = map[string]func(a, b app.UserInfo) int{
	"username":   func(a, b app.UserInfo) int { return strings.Compare(a.Username, b.Username) },
	"email":      func(a, b app.UserInfo) int { return strings.Compare(a.Email, b.Email) },
	"first_name": func(a, b app.UserInfo) int { return strings.Compare(a.FirstName, b.FirstName) },
	"last_name":  func(a, b app.UserInfo) int { return strings.Compare(a.LastName, b.LastName) },
	"created_on": func(a, b app.UserInfo) int { return a.CreatedOn.Compare(b.CreatedOn) },
	"role": func(a, b app.UserInfo) int {
		return strings.Compare(a.Roles[0].Name, b.Roles[0].Name) // one role each
	},
}

func (s *Server) getUser(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	users, err := s.app.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Username == r.PathValue("username") {
			return u, nil
		}
	}
	return nil, notFound("user %q not found", r.PathValue("username"))
}

func (s *Server) postUser(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var b struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Role     string `json:"role"`
		// Roles is Airflow's shape, [{"name": "Op"}]; a wasmflow user has one role.
		Roles     []app.Tag `json:"roles"`
		Email     string    `json:"email"`
		FirstName string    `json:"first_name"`
		LastName  string    `json:"last_name"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if b.Password == "" {
		return nil, badRequest("a user created through the API needs a password")
	}
	role, err := roleOf(b.Role, b.Roles)
	if err != nil {
		return nil, err
	}
	if _, err := s.app.Store.GetUser(r.Context(), b.Username); err == nil {
		return nil, &httpError{http.StatusConflict, fmt.Sprintf("user %q already exists: PATCH /api/v1/users/%s changes it", b.Username, b.Username)}
	}
	u, _, err := s.app.CreateUser(r.Context(), p.actor(), app.NewUser{Username: b.Username, Password: b.Password, Role: role,
		Email: b.Email, FirstName: b.FirstName, LastName: b.LastName})
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return u, nil // 200, as Airflow answers it
}

// roleOf reads a new user's role from wasmflow's "role" or Airflow's "roles" (one of them).
func roleOf(role string, roles []app.Tag) (string, error) {
	switch {
	case len(roles) == 0:
		return role, nil
	case len(roles) > 1:
		return "", badRequest("a wasmflow user has one role, not %d: send \"roles\": [{\"name\": \"Op\"}] with one of Viewer, User, Op, Admin", len(roles))
	case role != "" && role != roles[0].Name:
		return "", badRequest("role %q and roles [%q] differ: send one of them", role, roles[0].Name)
	}
	return roles[0].Name, nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, p principal) (any, error) {
	if r.PathValue("username") == p.Username {
		return nil, badRequest("you cannot delete yourself: ask another Admin")
	}
	if err := s.app.DeleteUser(r.Context(), p.actor(), r.PathValue("username")); err != nil {
		return nil, err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil, nil
}

// --- audit log, cluster ---

type eventLog struct {
	EventLogID int64     `json:"event_log_id"`
	When       time.Time `json:"when"`
	Event      string    `json:"event"`
	Owner      string    `json:"owner"`
	DagID      string    `json:"dag_id"`
	RunID      string    `json:"run_id"`
	TaskID     string    `json:"task_id"`
	Extra      string    `json:"extra"`
}

func (s *Server) eventLogs(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	// The audit log is read newest first through its index, and only in that order.
	if ob := r.URL.Query().Get("order_by"); ob != "" && ob != "-when" && ob != "-event_log_id" {
		return nil, badRequest("order_by must be -when or -event_log_id (the audit log is listed newest first), not %q", ob)
	}
	evs, err := s.app.AuditLog(r.Context(), p.offset+p.limit)
	if err != nil {
		return nil, err
	}
	total, err := s.app.Store.AuditEventCount(r.Context())
	if err != nil {
		return nil, err
	}
	from, to := p.slice(len(evs))
	out := make([]eventLog, 0, to-from)
	for _, e := range evs[from:to] {
		out = append(out, eventLog{EventLogID: e.ID, When: e.When, Event: e.Event, Owner: e.Owner, DagID: e.DagID, RunID: e.RunID, TaskID: e.TaskID, Extra: e.Extra})
	}
	return map[string]any{"event_logs": out, "total_entries": max(total, len(evs))}, nil
}

type waitingInfo struct {
	DagID     string    `json:"dag_id"`
	DagRunID  string    `json:"dag_run_id"`
	TaskID    string    `json:"task_id"`
	TryNumber int       `json:"try_number"`
	Queue     string    `json:"queue"`
	Since     time.Time `json:"since"`
	Reason    string    `json:"reason"`
}

// members answers the cluster as this server sees it; a standalone process is a cluster of
// one, itself, and nothing waits for a worker.
func (s *Server) members(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	ex := s.app.Cluster()
	out := map[string]any{"members": []any{}, "waiting": []waitingInfo{}}
	if ex == nil {
		return out, nil
	}
	out["members"] = ex.Members()
	waiting := []waitingInfo{}
	for _, w := range ex.Waiting() {
		waiting = append(waiting, waitingInfo{DagID: w.Key.DagID, DagRunID: w.Key.RunID, TaskID: w.Key.TaskID, TryNumber: w.TryNumber,
			Queue: w.Queue, Since: w.Since, Reason: w.Reason})
	}
	out["waiting"] = waiting
	return out, nil
}
