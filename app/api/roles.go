package api

import (
	"net/http"
	"slices"
	"strings"
)

// A wasmflow user has one of the built-in roles, a ladder (Viewer < User < Op < Admin), and
// each route needs one rung of it. So a role's permissions are not stored: they are read off
// the route table, Airflow's action on Airflow's resource for every route the role may call,
// and cannot drift from what is enforced. A custom role could not be enforced by that ladder,
// so roles are listed and read, never created, changed or deleted.

type actionName struct {
	Name string `json:"name"`
}

type actionResource struct {
	Action   actionName `json:"action"`
	Resource actionName `json:"resource"`
}

type roleInfo struct {
	Name    string           `json:"name"`
	Actions []actionResource `json:"actions"`
}

// builtinRoles are Airflow's five roles; Public is the one of requests without credentials.
var builtinRoles = []Role{Admin, Op, User, Viewer, Public}

// airflowActions are Airflow's permission actions, as GET /permissions lists them.
var airflowActions = []string{"can_create", "can_read", "can_edit", "can_delete"}

// actionOf is Airflow's action for a route's method.
func actionOf(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead:
		return "can_read"
	case http.MethodPost:
		return "can_create"
	case http.MethodDelete:
		return "can_delete"
	}
	return "can_edit"
}

// resourceRules name Airflow's resource of a route by the last of these path parts it has
// (the most specific): a task instance's logs are "Task Logs", not "DAG Runs".
var resourceRules = []struct{ part, resource string }{
	{"/dags", "DAGs"}, {"/ui/dags", "DAGs"}, {"/dagRuns", "DAG Runs"}, {"/taskInstances", "Task Instances"},
	{"/clearTaskInstances", "Task Instances"}, {"/tries", "Task Instances"}, {"/listMapped", "Task Instances"},
	{"/logs", "Task Logs"}, {"/xcomEntries", "XComs"}, {"/source", "DAG Code"}, {"/dagFiles", "DAG Code"},
	{"/details", "DAGs"}, {"/tasks", "DAGs"}, {"/grid", "DAGs"},
	{"/importErrors", "ImportError"}, {"/pools", "Pools"}, {"/variables", "Variables"}, {"/connections", "Connections"},
	{"/users", "Users"}, {"/roles", "Roles"}, {"/permissions", "Permissions"}, {"/eventLogs", "Audit Logs"},
	{"/config", "Configurations"}, {"/plugins", "Plugins"}, {"/providers", "Providers"}, {"/datasets", "Datasets"},
	{"/dagWarnings", "DAG Warnings"}, {"/auth", "My Profile"}, {"/api/v1/events", "Website"}, {"/cluster", "Cluster"},
	{"/modules", "Task Modules"}, {"/operators", "Operators"}, {"/desktop", "Website"},
	{"/dagSources", "DAG Code"}, {"/upstreamDatasetEvents", "Datasets"}, {"/updateTaskInstancesState", "Task Instances"},
	{"/links", "Task Instances"}, {"/slaMisses", "SLA Misses"}, {"/callbacks", "DAG Runs"},
}

// resourceOf is Airflow's resource of a route's path.
func resourceOf(path string) string {
	best, at := "Website", -1
	for _, rule := range resourceRules {
		for i := 0; ; {
			j := strings.Index(path[i:], rule.part)
			if j < 0 {
				break
			}
			end := i + j + len(rule.part)
			// A whole part only: "/dags" is not the start of "/dagsFolder".
			if end == len(path) || path[end] == '/' || path[end] == '~' {
				if i+j >= at {
					best, at = rule.resource, i+j
				}
			}
			i = end
		}
	}
	return best
}

// roleActions are what role may do: every route's action and resource that role reaches,
// the routes open to everyone excepted (they need no permission).
func (s *Server) roleActions(role Role) []actionResource {
	seen := map[actionResource]bool{}
	out := []actionResource{}
	for _, rt := range s.routes {
		if rt.role == Public || rt.role > role {
			continue
		}
		ar := actionResource{actionName{actionOf(rt.method)}, actionName{resourceOf(rt.path)}}
		if !seen[ar] {
			seen[ar] = true
			out = append(out, ar)
		}
	}
	slices.SortFunc(out, func(a, b actionResource) int {
		return strings.Compare(a.Resource.Name+"\x00"+a.Action.Name, b.Resource.Name+"\x00"+b.Action.Name)
	})
	return out
}

func (s *Server) roleInfos() []roleInfo {
	out := make([]roleInfo, len(builtinRoles))
	for i, r := range builtinRoles {
		out[i] = roleInfo{Name: r.String(), Actions: s.roleActions(r)}
	}
	return out
}

var roleOrders = map[string]func(a, b roleInfo) int{
	"name": func(a, b roleInfo) int { return strings.Compare(a.Name, b.Name) },
}

func (s *Server) listRoles(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	roles := s.roleInfos()
	if err := sortBy(r, roles, "name", roleOrders); err != nil {
		return nil, err
	}
	from, to := p.slice(len(roles))
	return roleCollection{Roles: roles[from:to], TotalEntries: len(roles)}, nil
}

// role finds a built-in role by its name, in Airflow's spelling (any case).
func (s *Server) role(r *http.Request) (roleInfo, error) {
	name := r.PathValue("role_name")
	for _, ri := range s.roleInfos() {
		if strings.EqualFold(ri.Name, name) {
			return ri, nil
		}
	}
	return roleInfo{}, notFound("role %q not found: the roles are Admin, Op, User, Viewer and Public", name)
}

func (s *Server) getRole(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	return s.role(r)
}

// errFixedRoles says why roles cannot be made or changed, and what to do instead.
const errFixedRoles = "wasmflow's roles are fixed: Admin, Op, User, Viewer and Public, each allowed what the one below it is and more, " +
	"and every endpoint needs one of them, so a role with other permissions could not be enforced. " +
	"Give the user the built-in role closest to what it needs (PATCH /api/v1/users/{username} with \"roles\": [{\"name\": \"Op\"}])"

func (s *Server) postRole(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	var b roleInfo
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(builtinRoles, func(ro Role) bool { return strings.EqualFold(ro.String(), b.Name) }) {
		return nil, badRequest("role %q already exists, and no role can be created: %s", b.Name, errFixedRoles)
	}
	return nil, badRequest("role %q cannot be created: %s", b.Name, errFixedRoles)
}

func (s *Server) patchRole(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	ri, err := s.role(r)
	if err != nil {
		return nil, err
	}
	return nil, badRequest("role %s cannot be changed: %s", ri.Name, errFixedRoles)
}

func (s *Server) deleteRole(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	ri, err := s.role(r)
	if err != nil {
		return nil, err
	}
	return nil, badRequest("role %s cannot be deleted: %s", ri.Name, errFixedRoles)
}

// listPermissions answers Airflow's actions, the verbs of every role's permissions.
func (s *Server) listPermissions(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	out := make([]actionName, len(airflowActions))
	for i, a := range airflowActions {
		out[i] = actionName{a}
	}
	from, to := p.slice(len(out))
	return actionCollection{Actions: out[from:to], TotalEntries: len(out)}, nil
}
