package operators

import (
	"sort"
	"strings"
)

// Type is what a field's YAML value must be.
type Type string

const (
	String Type = "string" // a scalar, kept as written (numbers too), rendered as a template
	Enum   Type = "enum"   // one of Field.Values, checked at parse time
	// ConnID names a connection, which the field grants the task (as http_conn_id does in
	// SPEC.md §9): not templated, so the grant is known when the file is parsed; checked
	// against the defined connections.
	ConnID Type = "conn_id"
	// URL is an absolute http(s) URL, templated; where its scheme, host and port are written
	// literally, the host must be granted by the task's allow_hosts.
	URL Type = "url"
	// Condition is an expr-lang expression over an HTTP response (status, headers, text,
	// json) that must be true or false; compiled when the file is parsed, evaluated by the
	// module. Not templated: it is code, and {{ }} would change it after the check.
	Condition Type = "condition"
	// Expression is an expr-lang expression over an HTTP response, of any value.
	Expression Type = "expression"
	// List is a YAML list of scalars, each rendered as a template; the module reads it as a
	// JSON array of strings (sql's parameters).
	List Type = "list"
)

// Field is one key an operator task may set besides the common task keys.
type Field struct {
	Name      string   `json:"name"`
	Type      Type     `json:"type"`
	Required  bool     `json:"required"`
	Templated bool     `json:"templated"` // {{ ... }} is rendered when the try starts
	Values    []string `json:"values,omitempty"`
	Default   string   `json:"default,omitempty"`
	Doc       string   `json:"doc"`
}

// Operator is one built-in operator: what a task writes after `operator:`.
type Operator struct {
	Name    string  `json:"name"`
	Airflow string  `json:"airflow"` // the Airflow operator it stands for
	Doc     string  `json:"doc"`
	Fields  []Field `json:"fields"`
	// Sensor operators poke: their module exits 100 for "not yet", and the task takes the
	// sensor keys (poke_interval, timeout, mode, soft_fail, exponential_backoff).
	Sensor bool `json:"sensor,omitempty"`
	// Module is the file of its module in modules/ (script.wasm), built from the folder of
	// its name without .wasm (a sensor shares its operator's: http_sensor runs http.wasm).
	Module string `json:"module"`
	// Example is a task using it, as YAML under tasks:.
	Example string `json:"example"`
	// OneOf names fields of which a task must set exactly one (http_conn_id or url).
	OneOf []string `json:"one_of,omitempty"`
}

// Field returns the operator's field called name.
func (o *Operator) Field(name string) (Field, bool) {
	for _, f := range o.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// FieldNames lists the names of the operator's fields.
func (o *Operator) FieldNames() []string {
	out := make([]string, len(o.Fields))
	for i, f := range o.Fields {
		out[i] = f.Name
	}
	return out
}

// Coming are the operators SPEC.md §9 names that are not built yet: they need the host I/O
// (HTTP requests and SQL queries done by the host for the module, under the task's grants).
// All of §9's are built now; the list stays for the next ones.
var Coming = []string{}

var all = []*Operator{
	{
		Name:    "http_sensor",
		Airflow: "HttpSensor",
		Doc: "Pokes an HTTP endpoint until response_check holds (without one: until the status is not 404). " +
			"A 404 or a false check is \"not yet\"; another 4xx or 5xx, or a refused request, fails the try. poke_interval, timeout, mode, soft_fail as other sensors.",
		Sensor: true,
		Fields: []Field{
			{Name: "http_conn_id", Type: ConnID,
				Doc: "the connection to call; grants it to the task. Give it or url"},
			{Name: "url", Type: URL, Templated: true,
				Doc: "an absolute http(s) URL, instead of http_conn_id; its host must be in the task's allow_hosts"},
			{Name: "endpoint", Type: String, Templated: true,
				Doc: "the path (and query) on the connection, or appended to url"},
			{Name: "method", Type: Enum, Values: []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}, Default: "GET",
				Doc: "the HTTP method (GET by default, as in Airflow's HttpSensor)"},
			{Name: "data", Type: String, Templated: true, Doc: "the request body"},
			{Name: "headers", Type: String, Templated: true,
				Doc: `request headers as a JSON object of strings: '{"Accept": "application/json"}'`},
			{Name: "response_check", Type: Condition,
				Doc: "an expression over status, headers, text and json that is true once the condition is met, e.g. json.state == \"ready\""},
		},
		OneOf:  []string{"http_conn_id", "url"},
		Module: "http.wasm",
		Example: `- id: wait_api
  operator: http_sensor
  http_conn_id: my_api
  endpoint: /ready
  response_check: status == 200 && json.ready
  poke_interval: 10s
  timeout: 1h`,
	},
	{
		Name:    "sql_sensor",
		Airflow: "SqlSensor",
		Doc: "Runs a query until its first row's first cell is truthy (not NULL, 0, false, \"\" or \"0\"; no row is not yet). " +
			"A failing query fails the try. poke_interval, timeout, mode, soft_fail as other sensors.",
		Sensor: true,
		Fields: []Field{
			{Name: "conn_id", Type: ConnID, Required: true,
				Doc: "the sqlite or postgres connection to query; grants it to the task"},
			{Name: "sql", Type: String, Required: true, Templated: true,
				Doc: "the query; its first cell decides"},
			{Name: "parameters", Type: List, Templated: true,
				Doc: "the values bound to the query's parameters, in order, each a template bound as text"},
		},
		Module: "sql.wasm",
		Example: `- id: wait_rows
  operator: sql_sensor
  conn_id: warehouse
  sql: select count(*) from orders where day = ?
  parameters: ["{{ ds }}"]
  poke_interval: 30s`,
	},
	{
		Name:    "sql",
		Airflow: "SQLExecuteQueryOperator",
		Doc: "Runs one SQL statement on a granted sqlite or postgres connection, through the host, with parameters bound (never spliced into the text). " +
			"A query's rows are the return_value XCom as a JSON list of rows (each a list of values, as Airflow's list of tuples), at most 10,000 rows (more fails the try: add a LIMIT); " +
			"any other statement's XCom is the number of rows it affected. A failing statement fails the try with the database's message.",
		Fields: []Field{
			{Name: "conn_id", Type: ConnID, Required: true,
				Doc: "the sqlite or postgres connection to run it on; grants it to the task"},
			{Name: "sql", Type: String, Required: true, Templated: true,
				Doc: "the statement; parameters are ? or $1 (sqlite) or $1, $2 (postgres)"},
			{Name: "parameters", Type: List, Templated: true,
				Doc: "the values bound to the statement's parameters, in order: a list of templates, each bound as text"},
		},
		Module: "sql.wasm",
		Example: `- id: load
  operator: sql
  conn_id: warehouse
  sql: insert into orders(day, n) values (?, ?)
  parameters: ["{{ ds }}", "{{ xcom('count') }}"]
  upstream: [count]`,
	},
	{
		Name:    "http",
		Airflow: "HttpOperator",
		Doc: "Makes one HTTP request through the host, to a granted connection (http_conn_id + endpoint) or to a url whose host allow_hosts grants. " +
			"The body, or response_filter's value, is the return_value XCom (a string as it is, anything else as JSON). " +
			"A 4xx or 5xx status (when there is no response_check), a false response_check or a refused request fails the try with the status and the start of the body.",
		Fields: []Field{
			{Name: "http_conn_id", Type: ConnID,
				Doc: "the connection to call (its host, port, scheme and credentials); grants it to the task. Give it or url"},
			{Name: "url", Type: URL, Templated: true,
				Doc: "an absolute http(s) URL, instead of http_conn_id; its host must be in the task's allow_hosts"},
			{Name: "endpoint", Type: String, Templated: true,
				Doc: "the path (and query) on the connection, or appended to url"},
			{Name: "method", Type: Enum, Values: []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}, Default: "POST",
				Doc: "the HTTP method (POST by default, as in Airflow)"},
			{Name: "data", Type: String, Templated: true,
				Doc: "the request body, e.g. a JSON document"},
			{Name: "headers", Type: String, Templated: true,
				Doc: `request headers as a JSON object of strings: '{"Content-Type": "application/json"}'`},
			{Name: "response_check", Type: Condition,
				Doc: "an expression over status, headers, text and json that must be true, e.g. status == 200 && len(json.items) > 0; without it a 4xx or 5xx fails the try"},
			{Name: "response_filter", Type: Expression,
				Doc: "an expression over status, headers, text and json whose value is the return_value XCom, e.g. json.items (default: the body)"},
		},
		OneOf:  []string{"http_conn_id", "url"},
		Module: "http.wasm",
		Example: `- id: fetch
  operator: http
  http_conn_id: my_api
  endpoint: /orders?day={{ ds }}
  method: GET
  headers: '{"Accept": "application/json"}'
  response_check: status == 200 && len(json.items) > 0
  response_filter: json.items`,
	},
	{
		Name:    "script",
		Airflow: "PythonOperator (with JavaScript)",
		Doc: "Runs inline code in an interpreter compiled to WebAssembly. The code is a function body: " +
			"what it returns is the return_value XCom (a string as it is, anything else as JSON). " +
			"xcom(task_id[, key]), log(...), and the template names (ds, ds_nodash, ts, params, conf, dag_id, task_id, run_id, try_number, " +
			"logical_date, data_interval_start, data_interval_end) are globals. A thrown error fails the try with its message and line.",
		Fields: []Field{
			{Name: "language", Type: Enum, Required: true, Values: []string{"javascript"},
				Doc: "the language of code; javascript (ECMAScript 5.1 and most of ES6, run by goja)"},
			{Name: "code", Type: String, Required: true, Templated: true,
				Doc: "the script: the body of a function, so `return` gives the XCom; {{ ... }} in it is rendered first"},
		},
		Module: "script.wasm",
		Example: `- id: shape
  operator: script
  language: javascript
  code: |
    const items = JSON.parse(xcom("fetch"));
    log("got", items.length, "items for", ds);
    return items.filter(i => i.total > 100).length;
  upstream: [fetch]`,
	},
}

// Get returns the built-in operator called name, or nil.
func Get(name string) *Operator {
	for _, o := range all {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// All returns every built-in operator, by name.
func All() []*Operator {
	out := append([]*Operator(nil), all...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names joins the operators' names for a message: "script".
func Names() string {
	names := make([]string, 0, len(all))
	for _, o := range All() {
		names = append(names, o.Name)
	}
	return strings.Join(names, ", ")
}

// IsComing reports whether name is an operator of SPEC.md §9 that is not built yet.
func IsComing(name string) bool {
	for _, c := range Coming {
		if c == name {
			return true
		}
	}
	return false
}
