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
	// Module is the file of its module in modules/ (script.wasm), built from ./<Name>.
	Module string `json:"module"`
	// Example is a task using it, as YAML under tasks:.
	Example string `json:"example"`
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
var Coming = []string{"http", "http_sensor", "sql", "sql_sensor"}

var all = []*Operator{
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
