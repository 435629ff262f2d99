// Package timetable decides the data intervals of a DAG's runs, like Airflow's timetables
// (airflow/timetables): CronDataIntervalTimetable for cron schedules and presets,
// CronTriggerTimetable for those with `timetable: trigger`, DeltaDataIntervalTimetable for
// "@every D", OnceTimetable for "@once" and NullTimetable for no schedule. It owns when scheduled runs happen (catchup or skipping to the latest interval), the
// intervals a backfill covers, and the interval of a manual run.
//
// It is pure: every answer is a function of the DAG's schedule, start_date, end_date and
// timezone and of the times passed in; nothing reads a clock. It imports only the standard
// library, tasks and tasks/cron; the scheduler builds on it, never the other way round.
//
// # Semantics
//
// A scheduled run covers [Start, End); its logical date is Start and it may be created once End
// has passed (for @once, once Start has). Cron fire times are computed on the wall clock of the
// DAG's timezone by tasks/cron, so across daylight-saving changes the intervals stay contiguous
// and none is doubled: a daily job at a wall time that does not exist runs once at the end of
// the gap, a wall time that occurs twice runs once, and hourly schedules run every real hour.
//
// Where Airflow's code (2.x, with scheduler.catchup_false_no_dagrun_airflow_2_fix at its
// default, off) does something a reader might not expect, this package does the same:
//
//   - Cron with catchup off starts at the latest complete interval, the one whose end is the
//     last fire time at or before now ([prev(prev(now)), prev(now)]), or at start_date aligned
//     to the next fire time if that is later.
//   - "@every D" with catchup off starts at floor(now, D) - D, where floor rounds the Unix time
//     down to a multiple of D: the intervals are aligned to the Unix epoch from then on, not to
//     start_date + kD (DeltaDataIntervalTimetable._skip_to_latest). With catchup on they are
//     start_date + kD.
//   - A manual run at t of a cron DAG covers the last complete interval at or before t
//     ([prev(end), end] with end the last fire time at or before t), so its logical date t is
//     not its interval's start; of an "@every D" DAG, [t-D, t]; otherwise [t, t].
//   - end_date bounds the interval starts: an interval starting at end_date still runs and
//     ends after it.
//
// With `timetable: trigger` a run fires at each cron tick: its logical date is the tick, its
// data interval [tick - interval, tick] (zero-length without `interval`), and it may be created
// once the tick has passed. With catchup off the latest tick at or before now runs (or the last
// run's next tick, or start_date's first, if later), so unpausing skips the missed ticks.
//
// Deliberate differences, for backfill (Intervals): the intervals never start before start_date
// nor after end_date, and "@every D" lists the start_date + kD grid, so a backfill makes the
// same logical dates as the scheduler would have; Airflow's iter_dagrun_infos_between starts a
// delta grid at the backfill's own start and does not clamp to start_date.
package timetable
