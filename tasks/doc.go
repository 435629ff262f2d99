// Package tasks is wasmflow's authoring model: the DAG file format (SPEC.md §2) parsed into a
// validated DAG, the task graph (topological order, cycles, layers), TaskInstance and DagRun
// states, trigger rule names, schedules, and expr-lang compilation of templates and conditions;
// and Airflow's masking of secrets in what templates render (Secrets, SensitiveName).
//
// It is the centre of the dependency graph: it imports only the standard library, the YAML
// parser, expr-lang and its own subpackages (tasks/cron), never another wasmflow package.
//
// The parser, by file: parse.go the entry points (ParseFile, Parse), the size budget and the
// dagParser's shared readers; dagkeys.go the table of a DAG file's top-level keys (each
// with its doc and reader, in the order they are read) and the DAG-level checks; taskkeys.go
// the tables of a task's keys and a sensor's; task.go a task's id, kind, module and mounts;
// link.go upstream links, cycles and branches. yamlnode.go walks the YAML, problem.go
// collects the problems with their line:col, suggest.go the did-you-mean.
package tasks
