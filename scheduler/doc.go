// Package scheduler owns what happens to DAGs over time: the DAG folder sync (the DagBag),
// timetables, the DagRun and TaskInstance lifecycle, dependencies, retries, sensors, pools,
// backfill and clear.
//
// It declares the interfaces it needs (Store, Executor, Clock) and never imports their
// implementations: the metastore (scheduler/metastore) implements Store, not the other way round.
package scheduler
