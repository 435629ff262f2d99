// Package cron parses 5-field cron expressions and presets and computes their fire times in a
// time zone, with the semantics Airflow gets from croniter.
//
// It owns the syntax (numbers, *, ranges, steps, lists, month and weekday names, the presets
// @yearly @annually @quarterly @monthly @weekly @daily @midnight @hourly, and croniter's day
// extensions: L, a-L, nW in day-of-month, w#n and Lw in day-of-week, ? in both) and the
// arithmetic (Next, Prev) including daylight-saving transitions. It imports only the standard library and
// must never import another wasmflow package: tasks and scheduler build on it.
//
// # Semantics
//
// Day-of-month and day-of-week combine like croniter: when both are restricted a day matches if
// either matches (so "0 0 1 * MON" fires on the 1st and on every Monday); when one of them covers
// its whole range, only the other one counts. "Restricted" is decided on the expanded set, not
// on the text: "1-31" or "*/1" count as unrestricted, "*/2" counts as restricted (Vixie cron would
// look at the leading '*' instead). L, W, # and Lw restrict their field; ? is *.
//
// Fire times are computed on the wall clock of the time passed to Next or Prev, that is in
// t.Location(), the DAG's time zone. Across a daylight-saving transition:
//
//   - A schedule whose hour field covers all 24 hours (Fixed reports true; "*/15 * * * *",
//     "0 * * * *") fires at every real instant whose wall clock matches, like Airflow, which
//     computes those in UTC: an hourly job fires every real hour, none is skipped or doubled, and
//     both passes of a repeated hour run.
//   - Any other schedule fires at most once per matching wall time. A wall time that does not
//     exist (02:30 on the spring-forward day in America/New_York) fires once at the end of the
//     gap, the next valid instant (03:00 EDT); several missing wall times collapse into that one
//     run. A wall time that occurs twice (01:30 on the fall-back day) fires once, at its second
//     occurrence, as in Airflow's CronMixin (the naive time made aware with fold=1).
//
// Fire times are a set of instants: Next(t) is the first of them after t whatever t is. Airflow
// computes from the naive wall time of t instead, which differs only for a t that is not itself
// a fire time: from inside the first pass of a repeated hour it skips to the next day, and for a
// schedule with hour * whose next match is hours away across a transition, its elapsed-time
// addition lands an hour off the matching wall time. The scheduler only asks from fire times.
//
// Parse rejects expressions that can never fire ("0 0 30 2 *"), so Next and Prev of a parsed
// expression always find a time for any t within about a million years of the present; beyond
// that, or if no fire time exists within 50 years of t, they return the zero time.Time.
package cron
