// Package scheduler owns what happens to DAGs over time: the DAG folder sync (the DagBag),
// timetables, the DagRun and TaskInstance lifecycle, dependencies, retries, sensors, pools,
// backfill and clear.
//
// It declares the interfaces it needs (Store, Executor, Clock) and never imports their
// implementations: the metastore (scheduler/metastore) implements Store, not the other way round.
//
// The scheduling loop, by file:
//   - scheduler.go: Config, the Scheduler, its loop (Run, step, flush) and shutdown;
//     changeset.go: what a step writes, in one transaction; timers.go: when a run is looked at again.
//   - createrun.go: run creation: scheduled runs that fall due, NewRun, and queued runs started.
//   - evaluate.go: evaluation of a run's task instances (dependencies, trigger rules, deadlock,
//     dagrun_timeout) and ending the run.
//   - sensor.go: sensors: an expression sensor's poke, and a poke that is not met yet.
//   - dispatch.go: dispatch: slots, pools and priority, and starting a try.
//   - result.go: results: how a try ended (retry, failure, XComs, branch), and progress.
//   - exprenv.go: the expression environment a try renders against (xcom, var, task_state,
//     dag_run_state).
//   - workload.go: rendering a try into a Workload; run.go: a driven run in memory.
package scheduler
