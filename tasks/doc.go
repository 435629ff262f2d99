// Package tasks is wasmflow's authoring model: the DAG file format (SPEC.md §2) parsed into a
// validated DAG, the task graph (topological order, cycles, layers), TaskInstance and DagRun
// states, trigger rule names, schedules, and expr-lang compilation of templates and conditions;
// and Airflow's masking of secrets in what templates render (Secrets, SensitiveName).
//
// It is the centre of the dependency graph: it imports only the standard library, the YAML
// parser, expr-lang and its own subpackages (tasks/cron), never another wasmflow package.
package tasks
