package cli

import (
	"fmt"
	"net/http"
)

// adminSpecCalls are the client test's calls of the spec's admin and monitoring operations:
// config, roles and permissions, users, the audit log, import errors, plugins and providers,
// pools, variables and connections, health and version. Each creates what it reads, changes
// and deletes, so they run in this order.
func adminSpecCalls(fx specFixture) []specCall {
	const ok, noContent = http.StatusOK, http.StatusNoContent
	return []specCall{
		{op: "get_health", method: "GET", path: "/health", status: ok},
		{op: "get_version", method: "GET", path: "/version", status: ok},
		{op: "get_version", method: "GET", path: "/version", status: ok, as: "nobody"},
		{op: "get_pools", method: "GET", path: "/pools", status: http.StatusUnauthorized, as: "nobody"},
		{op: "get_config", method: "GET", path: "/config", status: ok},
		{op: "get_config", method: "GET", path: "/config", status: http.StatusForbidden, as: "user"},
		{op: "get_plugins", method: "GET", path: "/plugins?limit=10", status: ok},
		{op: "get_providers", method: "GET", path: "/providers", status: ok},

		{op: "get_roles", method: "GET", path: "/roles?order_by=name&limit=3", status: ok},
		{op: "get_role", method: "GET", path: "/roles/Viewer", status: ok},
		{op: "get_role", method: "GET", path: "/roles/Auditor", status: http.StatusNotFound},
		{op: "post_role", method: "POST", path: "/roles", body: `{"name":"Auditor","actions":[{"action":{"name":"can_read"},"resource":{"name":"Audit Logs"}}]}`,
			status: http.StatusBadRequest},
		{op: "patch_role", method: "PATCH", path: "/roles/Op", body: `{"name":"Op","actions":[]}`, status: http.StatusBadRequest},
		{op: "delete_role", method: "DELETE", path: "/roles/Viewer", status: http.StatusBadRequest},
		{op: "get_roles", method: "GET", path: "/roles", status: http.StatusForbidden, as: "op"},
		{op: "get_permissions", method: "GET", path: "/permissions", status: ok},

		{op: "get_users", method: "GET", path: "/users?order_by=-username&limit=2&offset=1", status: ok},
		{op: "post_user", method: "POST", path: "/users", body: `{"username":"carol","password":"carol-pw-S3cret","email":"carol@example.com",` +
			`"first_name":"Carol","last_name":"Spec","roles":[{"name":"Viewer"}]}`, status: ok},
		{op: "post_user", method: "POST", path: "/users", body: `{"username":"carol","password":"carol-pw-S3cret","email":"c@example.com","roles":[{"name":"Viewer"}]}`,
			status: http.StatusConflict},
		{op: "get_user", method: "GET", path: "/users/carol", status: ok},
		{op: "patch_user", method: "PATCH", path: "/users/carol?update_mask=roles,last_name", body: `{"roles":[{"name":"Op"}],"last_name":"Jones"}`, status: ok},
		{op: "patch_user", method: "PATCH", path: "/users/nobody", body: `{"email":"n@example.com"}`, status: http.StatusNotFound},
		{op: "delete_user", method: "DELETE", path: "/users/carol", status: noContent},
		{op: "get_user", method: "GET", path: "/users/carol", status: http.StatusNotFound},
		{op: "get_users", method: "GET", path: "/users", status: http.StatusForbidden, as: "op"},

		{op: "get_event_logs", method: "GET", path: "/eventLogs?limit=5", status: ok},
		{op: "get_event_log", method: "GET", path: fmt.Sprint("/eventLogs/", fx.eventLogID), status: ok},
		{op: "get_event_log", method: "GET", path: "/eventLogs/999999", status: http.StatusNotFound},
		{op: "get_import_errors", method: "GET", path: "/importErrors?order_by=filename", status: ok, as: "viewer"},
		{op: "get_import_error", method: "GET", path: fmt.Sprint("/importErrors/", fx.importErrorID), status: ok, as: "viewer"},
		{op: "get_import_error", method: "GET", path: "/importErrors/999999", status: http.StatusNotFound},

		{op: "get_pools", method: "GET", path: "/pools?limit=10", status: ok, as: "viewer"},
		{op: "post_pool", method: "POST", path: "/pools", body: `{"name":"spec_pool","slots":3,"description":"made by the client test"}`, status: ok, as: "op"},
		{op: "post_pool", method: "POST", path: "/pools", body: `{"name":"spec_free","slots":-1}`, status: ok, as: "op"},
		{op: "get_pool", method: "GET", path: "/pools/spec_pool", status: ok, as: "viewer"},
		{op: "patch_pool", method: "PATCH", path: "/pools/spec_pool?update_mask=slots", body: `{"name":"spec_pool","slots":5}`, status: ok, as: "op"},
		{op: "post_pool", method: "POST", path: "/pools", body: `{"name":"spec_pool2","slots":1}`, status: http.StatusForbidden, as: "user"},
		{op: "delete_pool", method: "DELETE", path: "/pools/spec_pool", status: noContent, as: "op"},
		{op: "delete_pool", method: "DELETE", path: "/pools/spec_free", status: noContent, as: "op"},
		{op: "get_pool", method: "GET", path: "/pools/spec_pool", status: http.StatusNotFound},

		{op: "post_variables", method: "POST", path: "/variables", body: `{"key":"spec_var","value":"v1","description":"made by the client test"}`, status: ok, as: "op"},
		{op: "get_variables", method: "GET", path: "/variables?limit=10&order_by=key", status: ok, as: "op"},
		{op: "get_variable", method: "GET", path: "/variables/spec_var", status: ok, as: "op"},
		{op: "patch_variable", method: "PATCH", path: "/variables/spec_var", body: `{"key":"spec_var","value":"v2"}`, status: ok, as: "op"},
		{op: "get_variables", method: "GET", path: "/variables", status: http.StatusForbidden, as: "user"},
		{op: "delete_variable", method: "DELETE", path: "/variables/spec_var", status: noContent, as: "op"},
		{op: "get_variable", method: "GET", path: "/variables/spec_var", status: http.StatusNotFound, as: "op"},

		{op: "post_connection", method: "POST", path: "/connections", body: `{"connection_id":"spec_api","conn_type":"http","host":"api.example.com",` +
			`"port":443,"login":"bot","password":"spec-secret","extra":"{\"timeout\": 5}","description":"made by the client test"}`, status: ok, as: "op"},
		{op: "get_connections", method: "GET", path: "/connections?limit=10&order_by=connection_id", status: ok, as: "viewer"},
		{op: "get_connection", method: "GET", path: "/connections/spec_api", status: ok, as: "viewer"},
		{op: "patch_connection", method: "PATCH", path: "/connections/spec_api?update_mask=port", body: `{"connection_id":"spec_api","conn_type":"http","port":8443}`, status: ok, as: "op"},
		{op: "test_connection", method: "POST", path: "/connections/test", body: `{"connection_id":"spec_db","conn_type":"sqlite","host":":memory:"}`, status: ok, as: "op"},
		{op: "delete_connection", method: "DELETE", path: "/connections/spec_api", status: noContent, as: "op"},
		{op: "get_connection", method: "GET", path: "/connections/spec_api", status: http.StatusNotFound},
	}
}
