package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// The comparison of the served openapi.json with Airflow 2.5's stable REST API
// (testdata/airflow-openapi-v1.yaml, Airflow's own file): operation by operation, the path, the
// method, the success status and, for each response both describe, every field of its JSON
// with its type (after $ref and allOf; "?" marks nullable). A difference fails the test unless
// one of the tables below lists it, with why; docs/api.md says the same to users.

// fieldDiffs are the documented differences of fields, as "Schema.field: what", Schema being
// the spec's component that holds the field (a field added by wasmflow is named by the
// component of the object it is added to).
var fieldDiffs = map[string]string{
	"DagWarningCollection.dag_warnings: added":            "the list's name in Airflow's answers (its spec says import_errors by mistake)",
	"DagWarningCollection.import_errors: missing":         "dag_warnings is the list, as Airflow answers",
	"ExtraLink.class_ref: missing":                        "no operator adds links, so there is no class to name",
	"XCom.dag_run_id: added":                              "as in XComCollectionItem",
	"XCom.execution_date: missing":                        "as in XComCollectionItem",
	"XCom.map_index: added":                               "as in XComCollectionItem",
	"Error.errors: added":                                 "each param a trigger's conf breaks, at its field, for the trigger form (an RFC 7807 extension member)",
	"Error.instance: missing":                             "no URI names one occurrence of a problem; detail says what, where and how to fix it",
	"Connection.password: missing":                        "a password is never answered, not even to an Op",
	"Connection.has_password: added":                      "says whether a password is set, since the password is never answered",
	"ConnectionCollectionItem.has_password: added":        "as in Connection",
	"ConnectionCollectionItem.extra: added":               "the list shows extra too, with its secrets masked",
	"DAG.catchup: added":                                  "the DAGs list shows it (Airflow's DAGDetail has it)",
	"DAG.timezone: added":                                 "the DAGs list shows it (Airflow's DAGDetail has it)",
	"DAG.file_path: added":                                "the DAG file relative to the DAGs folder, which the editor opens; null outside it",
	"DAG.params: added":                                   "GET /dags/{dag_id} carries the params for the trigger form",
	"DAG.task_groups: added":                              "GET /dags/{dag_id} carries the task groups for the graph view",
	"DAG.default_view: missing":                           "one set of views: there is no default view to choose",
	"DAG.is_subdag: missing":                              "no SubDAGs (deprecated in Airflow): task groups instead",
	"DAG.root_dag_id: missing":                            "no SubDAGs, so no root DAG",
	"DAG.last_pickled: missing":                           "DAGs are not pickled",
	"DAG.pickle_id: missing":                              "DAGs are not pickled",
	"DAG.last_expired: missing":                           "not kept",
	"DAG.scheduler_lock: missing":                         "no scheduler lock column",
	"DAG.has_import_errors: missing":                      "not computed yet: GET /importErrors lists them",
	"DAG.has_task_concurrency_limits: missing":            "no per-task concurrency limits",
	"DAG.timetable_description: missing":                  "not computed yet",
	"DAGDetail.file_path: added":                          "as in DAG",
	"DAGDetail.concurrency: missing":                      "Airflow's deprecated name of max_active_tasks, which is answered",
	"DAGDetail.dag_run_timeout: missing":                  "no run timeout",
	"DAGDetail.default_view: missing":                     "as in DAG",
	"DAGDetail.has_import_errors: missing":                "as in DAG",
	"DAGDetail.has_task_concurrency_limits: missing":      "as in DAG",
	"DAGDetail.is_subdag: missing":                        "as in DAG",
	"DAGDetail.last_expired: missing":                     "as in DAG",
	"DAGDetail.last_parsed: missing":                      "last_parsed_time says it",
	"DAGDetail.last_pickled: missing":                     "as in DAG",
	"DAGDetail.orientation: missing":                      "the graph view has one orientation",
	"DAGDetail.pickle_id: missing":                        "as in DAG",
	"DAGDetail.render_template_as_native_obj: missing":    "templates render to strings",
	"DAGDetail.root_dag_id: missing":                      "as in DAG",
	"DAGDetail.scheduler_lock: missing":                   "as in DAG",
	"DAGDetail.template_search_path: missing":             "templates are inline in the DAG file",
	"DAGDetail.timetable_description: missing":            "as in DAG",
	"DAGRun.conf: type object, served any":                "the conf is handed on as stored (JSON), not decoded and encoded again; it is always an object",
	"DAGRun.last_scheduling_decision: missing":            "not kept",
	"DAGRun.note: missing":                                "GET dagRuns reads no notes: setNote answers the note",
	"EventLog.execution_date: missing":                    "the audit log names the run by run_id",
	"EventLog.run_id: added":                              "the run an event is about",
	"Pool.running_slots: added":                           "the slots running tries take (Airflow's occupied_slots counts queued ones too)",
	"SchedulerStatus.latest_scheduler_heartbeat: missing": "the scheduler is in this process: its status is enough",
	"Task.class_ref: missing":                             "tasks are WebAssembly modules, not Python classes: module names it",
	"Task.end_date: missing":                              "tasks have no dates of their own",
	"Task.start_date: missing":                            "tasks have no dates of their own",
	"Task.execution_timeout: type object, served object?": "null when the task has no timeout, as Airflow's own answers are",
	"Task.extra_links: missing":                           "no operator extra links",
	"Task.owner: missing":                                 "owners are the DAG's",
	"Task.sub_dag: missing":                               "no SubDAGs",
	"Task.template_fields: missing":                       "every string field of a task may be templated",
	"Task.ui_color: missing":                              "the views colour tasks by state only",
	"Task.ui_fgcolor: missing":                            "the views colour tasks by state only",
	"Task.weight_rule: missing":                           "priority_weight is the task's own",
	"Task.group_path: added":                              "the task's task groups, outermost first, for the graph view",
	"Task.task_group: added":                              "the task's innermost task group",
	"Task.label: added":                                   "the task's name in its group, as the graph draws it",
	"Task.is_branch: added":                               "branching tasks are drawn apart",
	"Task.is_sensor: added":                               "sensors are drawn apart",
	"Task.module: added":                                  "the task's WebAssembly module",
	"Task.upstream_task_ids: added":                       "the graph's edges both ways",
	"TaskCollection.total_entries: added":                 "as every other collection",
	"TaskInstance.execution_date: missing":                "logical_date of the run says it",
	"TaskInstance.executor_config: missing":               "no executor_config",
	"TaskInstance.exit_code: added":                       "the module's exit code",
	"TaskInstance.reason: added":                          "why it failed or waits, in words",
	"TaskInstance.note: missing":                          "GET taskInstances reads no notes: setNote answers the note",
	"TaskInstance.operator: missing":                      "tasks are modules: no operator class",
	"TaskInstance.pid: missing":                           "a try is a WebAssembly instance, not a process",
	"TaskInstance.queued_when: missing":                   "not kept",
	"TaskInstance.rendered: added":                        "the rendered fields (Airflow's rendered_fields, in wasmflow's shape)",
	"TaskInstance.rendered_fields: missing":               "rendered says it",
	"TaskInstance.sla_miss: missing":                      "no SLAs",
	"TaskInstance.state: type string, served string?":     "null for a task instance with no state yet, as Airflow answers (its spec says TaskState)",
	"TaskInstance.trigger: missing":                       "no deferrable tasks, so no triggers",
	"TaskInstance.triggerer_job: missing":                 "no deferrable tasks, so no triggerer",
	"TaskInstance.unixname: missing":                      "no unix user runs a WebAssembly module",
	"TaskInstance.why: added":                             "why it is not running yet, when it waits",
	"TaskInstanceReference.execution_date: missing":       "the run's logical date; dag_run_id names the run",
	"TaskInstanceReference.map_index: added":              "which instance of a mapped task (-1: not mapped)",
	"TaskInstanceReference.state: added":                  "the state after the change (null in a clear)",
	"User.changed_on: missing":                            "not kept",
	"User.failed_login_count: missing":                    "not kept: the login throttle counts failures",
	"User.login_count: missing":                           "not kept",
	"User.password: missing":                              "a password is never answered",
	"UserCollectionItem.changed_on: missing":              "as in User",
	"UserCollectionItem.failed_login_count: missing":      "as in User",
	"UserCollectionItem.login_count: missing":             "as in User",
	"VariableCollectionItem.value: added":                 "the list shows the values (an Op's role reads them anyway)",
	"XComCollectionItem.dag_run_id: added":                "the run, by id",
	"XComCollectionItem.execution_date: missing":          "dag_run_id names the run",
	"XComCollectionItem.map_index: added":                 "which instance of a mapped task",
	"XComCollectionItem.value: added":                     "the value in the list too (Airflow has it in XCom only)",
	"Dataset.extra: type object?, served any":             "the extra is handed on as stored (JSON), not decoded and encoded again; {} when there is none",
	"DatasetEvent.extra: type object?, served any":        "as in Dataset",
	"Task.doc_md: added":                                  "the task's Markdown doc, which the task's panel shows (null without one)",
	"Task.latest_only: added":                             "the task runs only in the latest run (Airflow has LatestOnlyOperator for it)",
	"Role.name: missing":                                  "Airflow's spec answers a Role to PATCH /users/{username} by mistake: Airflow answers the User, as wasmflow does",
	"Role.actions: missing":                               "as Role.name",
	"Role.active: added":                                  "as Role.name",
	"Role.created_on: added":                              "as Role.name",
	"Role.email: added":                                   "as Role.name",
	"Role.first_name: added":                              "as Role.name",
	"Role.last_name: added":                               "as Role.name",
	"Role.last_login: added":                              "as Role.name",
	"Role.roles: added":                                   "as Role.name",
	"Role.username: added":                                "as Role.name",
}

// addedOps are the operations wasmflow serves that Airflow's API has not.
var addedOps = map[string]string{
	"GET /api/v1/auth/me":                                            "who is logged in, their role and the CSRF token of their session: the views' login",
	"POST /api/v1/auth/login":                                        "a session for the views (Airflow's views log in through Flask-AppBuilder, outside the API)",
	"POST /api/v1/auth/logout":                                       "ends the views' session",
	"GET /api/v1/cluster/members":                                    "the cluster's workers and the tries waiting for one",
	"GET /api/v1/dagFiles/{}":                                        "the DAG editor: reads a DAG file to edit it",
	"PUT /api/v1/dagFiles/{}":                                        "the DAG editor: saves a DAG file",
	"POST /api/v1/dagFiles/validate":                                 "the DAG editor: checks a DAG file without saving it",
	"GET /api/v1/modules":                                            "the task modules a DAG file may name",
	"POST /api/v1/modules":                                           "imports a task module into the DAGs folder",
	"GET /api/v1/operators":                                          "the built-in operators and their fields",
	"GET /api/v1/dags/{}/source":                                     "a DAG's file by dag_id, for the code view (Airflow's dagSources takes a file token)",
	"GET /api/v1/dags/{}/grid":                                       "the grid view in one request",
	"GET /api/v1/ui/dags":                                            "the DAGs view in one request: each DAG with its latest runs",
	"GET /api/v1/dags/{}/dagRuns/{}/taskInstances/{}/tries":          "each ended try, with the granted I/O calls it made",
	"GET /api/v1/dags/{}/dagRuns/{}/taskInstances/{}/logs/{}/stream": "follows a try's log as server-sent events",
	"GET /api/v1/events":                                             "live changes as server-sent events, for the views",
	"GET /api/v1/openapi.json":                                       "this API's description, built from its route table",
	"GET /api/v1/dags/{}/calendar":                                   "the calendar view: a year of a DAG's runs by day and state, and the planned ones",
	"GET /api/v1/dags/{}/dagRuns/{}/callbacks":                       "a run's callbacks, what raised each and whether it ran (Airflow keeps only their log lines)",
	"GET /api/v1/dags/{}/dagRuns/{}/callbacks/{}/log":                "a callback's log",
	"GET /api/v1/slaMisses":                                          "the SLA misses: tasks past their sla, runs past their deadline (Airflow 2.5's API has no such route)",
	"POST /api/v1/modules/examples/{}":                               "copies an example DAG's module into the DAGs folder, for a new DAG to start from",
}

// notYet are Airflow operations not served yet: printed by the test, never silently skipped.
// The test fails when one is served, so the list only shrinks.
var notYet = []string{}

func TestServedAPIIsAirflows(t *testing.T) {
	spec := loadSpec(t)
	e := newEnv(t, nil)
	var served map[string]any
	if err := json.Unmarshal(e.want(200, "GET", "/api/v1/openapi.json", "", nil).body, &served); err != nil {
		t.Fatal(err)
	}
	specOps, servedOps := operations(spec, "/api/v1"), operations(served, "")

	seenDiffs := map[string]bool{}
	var unlisted []string
	for _, key := range slices.Sorted(maps.Keys(specOps)) {
		sop, ok := servedOps[key]
		if !ok {
			if !slices.Contains(notYet, key) {
				unlisted = append(unlisted, key+": not served (serve it, or add it to notYet)")
			}
			continue
		}
		if slices.Contains(notYet, key) {
			t.Errorf("%s is served: take it out of notYet", key)
		}
		for _, d := range compareOp(spec, specOps[key], served, sop) {
			if _, ok := fieldDiffs[d]; ok {
				seenDiffs[d] = true
				continue
			}
			unlisted = append(unlisted, key+": "+d)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(servedOps)) {
		if _, ok := specOps[key]; ok {
			continue
		}
		if _, ok := addedOps[key]; !ok {
			unlisted = append(unlisted, key+": served, not in Airflow's API (document it in addedOps)")
		}
	}
	for d := range fieldDiffs {
		if !seenDiffs[d] {
			t.Errorf("fieldDiffs lists %q, which no operation shows any more: take it out", d)
		}
	}
	for k := range addedOps {
		if _, ok := servedOps[k]; !ok {
			t.Errorf("addedOps lists %s, which is not served", k)
		}
	}
	if len(notYet) > 0 {
		t.Logf("%d Airflow operations not served yet:\n\t%s", len(notYet), strings.Join(notYet, "\n\t"))
	}
	sort.Strings(unlisted)
	for _, u := range unlisted {
		t.Error(u)
	}
}

func loadSpec(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/airflow-openapi-v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := yaml.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

var pathParamName = regexp.MustCompile(`\{[^}]*\}`)

// operations are a description's operations by "METHOD path", the path with its parameters
// unnamed ({}): a client fills them in by place, so {pool_name} and {name} are one path.
func operations(doc map[string]any, prefix string) map[string]map[string]any {
	out := map[string]map[string]any{}
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		for method, op := range item.(map[string]any) {
			if o, ok := op.(map[string]any); ok && method != "parameters" {
				out[strings.ToUpper(method)+" "+pathParamName.ReplaceAllString(prefix+p, "{}")] = o
			}
		}
	}
	return out
}

// compareOp lists how the served operation differs from the spec's: its success status, and
// the fields of each response both describe.
func compareOp(spec, sop map[string]any, served, vop map[string]any) []string {
	var diffs []string
	sr, vr := responses(spec, sop), responses(served, vop)
	sok, vok := successOf(sr), successOf(vr)
	if sok != vok {
		diffs = append(diffs, fmt.Sprintf("success status: Airflow %s, served %s", sok, vok))
	}
	for code, s := range sr {
		v, ok := vr[code]
		if code == sok {
			v, ok = vr[vok], vok != ""
		}
		if !ok {
			continue
		}
		sf, vf := flatten(spec, bodySchema(spec, s)), flatten(served, bodySchema(served, v))
		diffs = append(diffs, compareFields(sf, vf)...)
	}
	slices.Sort(diffs)
	return slices.Compact(diffs)
}

func responses(doc, op map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	rs, _ := op["responses"].(map[string]any)
	for code, r := range rs {
		out[code] = deref(doc, r.(map[string]any))
	}
	return out
}

func successOf(rs map[string]map[string]any) string {
	for _, code := range slices.Sorted(maps.Keys(rs)) {
		if strings.HasPrefix(code, "2") {
			return code
		}
	}
	return ""
}

// bodySchema is a response's JSON schema (its text/plain one when it has no JSON), nil for none.
func bodySchema(doc, resp map[string]any) map[string]any {
	content, _ := resp["content"].(map[string]any)
	for _, ct := range []string{"application/json", "application/problem+json"} {
		if c, ok := content[ct].(map[string]any); ok {
			s, _ := c["schema"].(map[string]any)
			return s
		}
	}
	for _, c := range content {
		s, _ := c.(map[string]any)["schema"].(map[string]any)
		return s
	}
	return nil
}

// deref follows a local $ref ("#/components/...").
func deref(doc, s map[string]any) map[string]any {
	for s != nil {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		s = cur.(map[string]any)
	}
	return s
}

// field is one JSON field: its type ("string", "integer", "number", "boolean", "object",
// "array", "any"; "?" after a nullable one) and the spec component that holds it.
type field struct{ typ, owner string }

// flatten lists a schema's fields by path (a.b, a[] for an array's items); "" is the root.
func flatten(doc, s map[string]any) map[string]field {
	out := map[string]field{}
	if s != nil {
		walk(doc, s, "", "", out, map[string]bool{})
	}
	return out
}

func walk(doc, s map[string]any, path, owner string, out map[string]field, onStack map[string]bool) {
	typ, props, items, nullable, owner := resolve(doc, s, owner, onStack)
	if nullable {
		typ += "?"
	}
	out[path] = field{typ, owner}
	for name, p := range props {
		walk(doc, p, join(path, name), owner, out, onStack)
	}
	if items != nil {
		walk(doc, items, path+"[]", owner, out, onStack)
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// resolve reads a schema through its $refs and allOf: its type, properties, items and
// nullability, and the component it is (its owner, or the one it is part of).
func resolve(doc, s map[string]any, owner string, onStack map[string]bool) (typ string, props map[string]map[string]any, items map[string]any, nullable bool, own string) {
	own = owner
	nullable = s["nullable"] == true
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimSuffix(ref[strings.LastIndex(ref, "/")+1:], "_allOf")
		if onStack[ref] {
			return "object", nil, nil, nullable, name // a recursive schema: described once
		}
		onStack[ref] = true
		defer delete(onStack, ref)
		t, p, i, n, _ := resolve(doc, deref(doc, s), name, onStack)
		return t, p, i, n || nullable, name
	}
	if all, ok := s["allOf"].([]any); ok {
		props = map[string]map[string]any{}
		typ = "any"
		for _, part := range all {
			t, p, i, n, o := resolve(doc, part.(map[string]any), owner, onStack)
			if t != "any" {
				typ = t
			}
			if o != owner && len(all) == 1 {
				own = o // allOf of one $ref: that component
			}
			for k, v := range p {
				props[k] = v
			}
			items = cmpOr(items, i)
			nullable = nullable || n
		}
		return typ, props, items, nullable, own
	}
	if _, ok := s["anyOf"]; ok {
		return "any", nil, nil, false, own
	}
	if _, ok := s["oneOf"]; ok {
		return "any", nil, nil, false, own
	}
	typ, _ = s["type"].(string)
	raw, _ := s["properties"].(map[string]any)
	if len(raw) > 0 {
		props = map[string]map[string]any{}
		for k, v := range raw {
			props[k] = v.(map[string]any)
		}
		typ = "object"
	}
	if typ == "" {
		typ = "any"
	}
	if it, ok := s["items"].(map[string]any); ok {
		items = it
	}
	return typ, props, items, nullable, own
}

func cmpOr(a, b map[string]any) map[string]any {
	if a != nil {
		return a
	}
	return b
}

// compareFields says how the served fields differ from the spec's, each difference once at
// the highest path it shows (a missing object's fields are not listed besides).
func compareFields(spec, served map[string]field) []string {
	var diffs []string
	name := func(path string) string {
		parent, last := "", path
		if i := strings.LastIndexAny(path, ".["); i >= 0 {
			parent, last = path[:i], path[i:]
			last = strings.TrimPrefix(last, ".")
		}
		owner := spec[parent].owner
		if owner == "" {
			owner = "(inline)"
		}
		if last == "" {
			last = "(the body)"
		}
		return owner + "." + last
	}
	parentOf := func(path string) (string, bool) {
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return "", path != ""
		}
		return path[:i], true
	}
	for path, sf := range spec {
		vf, ok := served[path]
		if !ok {
			if p, has := parentOf(path); has {
				if _, up := served[p]; !up {
					continue // the parent's difference says it
				}
			}
			diffs = append(diffs, name(path)+": missing")
			continue
		}
		if !narrows(vf.typ, sf.typ) {
			diffs = append(diffs, fmt.Sprintf("%s: type %s, served %s", name(path), sf.typ, vf.typ))
		}
	}
	for path := range served {
		if _, ok := spec[path]; ok {
			continue
		}
		if p, has := parentOf(path); has {
			if _, up := spec[p]; !up {
				continue
			}
		}
		diffs = append(diffs, name(path)+": added")
	}
	return diffs
}

// narrows says whether a served type is the spec's or a narrower one a client of the spec reads
// as well: never null where null is allowed, an integer where a number is.
func narrows(served, spec string) bool {
	base, nullable := strings.CutSuffix(spec, "?")
	sbase, snull := strings.CutSuffix(served, "?")
	if snull && !nullable {
		return false
	}
	return sbase == base || sbase == "integer" && base == "number"
}

// docs/api.md lists every difference the test allows, with the same words.
func TestAPIDocListsTheDifferences(t *testing.T) {
	b, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for k, why := range fieldDiffs {
		if !strings.Contains(doc, "| `"+k+"` | "+strings.ReplaceAll(why, "|", `\|`)+" |") {
			t.Errorf("docs/api.md's differences lack %q: %s", k, why)
		}
	}
	for k, why := range addedOps {
		if !strings.Contains(doc, "| `"+k+"` | "+why+" |") {
			t.Errorf("docs/api.md's additions lack %s: %s", k, why)
		}
	}
	for _, k := range notYet {
		if !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("docs/api.md's operations not served yet lack %s", k)
		}
	}
}
