package timetable

import (
	"time"

	"github.com/wasmflow/wasmflow/tasks"
	"github.com/wasmflow/wasmflow/tasks/cron"
)

// DataInterval is the span of data a DagRun covers, [Start, End). Start is the logical date of a
// scheduled run. Both are in the DAG's timezone.
type DataInterval struct{ Start, End time.Time }

// Timetable decides the data intervals of a DAG's scheduled runs. Implementations are pure and
// safe for concurrent use.
type Timetable interface {
	// Next returns the next scheduled run after last (nil = none yet): its data interval and
	// ok=false when there is none (no schedule, past end_date, @once already run). With catchup
	// off it skips to the latest complete interval as of now (Airflow's _skip_to_latest).
	// The run may be created once interval.End <= now (for @once: Start <= now).
	Next(last *DataInterval, now time.Time, catchup bool) (DataInterval, bool)
	// Intervals lists every interval whose start (logical date) is in [from, to], for backfill.
	Intervals(from, to time.Time) []DataInterval
	// ManualInterval is the data interval of a manual run at logical date t (Airflow's infer_manual_data_interval).
	ManualInterval(t time.Time) DataInterval
	// LogicalDate is the logical date of the scheduled or backfill run over iv: its start for
	// the data-interval timetables, its end (the cron tick) for the trigger timetable.
	LogicalDate(iv DataInterval) time.Time
}

// For returns the timetable of d, from d.Schedule, d.StartDate, d.EndDate and d.Timezone (UTC
// when nil).
func For(d *tasks.DAG) Timetable {
	b := bounds{loc: d.Timezone, start: d.StartDate, end: d.EndDate}
	if b.loc == nil {
		b.loc = time.UTC
	}
	switch d.Schedule.Kind {
	case tasks.ScheduleCron:
		if d.Schedule.Cron != nil && d.Timetable == tasks.TimetableTrigger {
			return &triggerTimetable{bounds: b, expr: d.Schedule.Cron, interval: d.TriggerInterval}
		}
		if d.Schedule.Cron != nil {
			return &cronTimetable{bounds: b, expr: d.Schedule.Cron}
		}
	case tasks.ScheduleEvery:
		if d.Schedule.Every > 0 {
			return &deltaTimetable{bounds: b, every: d.Schedule.Every}
		}
	case tasks.ScheduleOnce:
		return &onceTimetable{bounds: b}
	case tasks.ScheduleContinuous:
		return &continuousTimetable{bounds: b}
	}
	return &nullTimetable{bounds: b}
}

// bounds are what every timetable shares: the DAG's timezone, start_date and end_date.
type bounds struct {
	loc        *time.Location
	start, end *time.Time // nil = unbounded
}

func (b bounds) in(t time.Time) time.Time { return t.In(b.loc) }

// pastEnd reports whether an interval starting at t is after end_date (TimeRestriction.latest).
func (b bounds) pastEnd(t time.Time) bool { return b.end != nil && t.After(*b.end) }

// clamp narrows a backfill's [from, to] to [start_date, end_date].
func (b bounds) clamp(from, to time.Time) (time.Time, time.Time) {
	if b.start != nil && b.start.After(from) {
		from = *b.start
	}
	if b.end != nil && b.end.Before(to) {
		to = *b.end
	}
	return from, to
}

// LogicalDate is the interval's start, as Airflow's data-interval timetables have it.
func (bounds) LogicalDate(iv DataInterval) time.Time { return iv.Start }

// exact is a zero-length interval at t, Airflow's DataInterval.exact.
func (b bounds) exact(t time.Time) DataInterval { t = b.in(t); return DataInterval{t, t} }

// dataIntervals is the part of Airflow's _DataIntervalTimetable that its two subclasses specialise.
type dataIntervals interface {
	next(t time.Time) time.Time           // the first fire time after t
	alignNext(t time.Time) time.Time      // t if it is a fire time, else next(t)
	alignPrev(t time.Time) time.Time      // t if it is a fire time, else the last one before it
	skipToLatest(now time.Time) time.Time // the start of the run to make with catchup off
}

// nextInterval is _DataIntervalTimetable.next_dagrun_info with TimeRestriction(start_date,
// end_date, catchup).
func nextInterval(s dataIntervals, b bounds, last *DataInterval, now time.Time, catchup bool) (DataInterval, bool) {
	var earliest *time.Time
	switch {
	case !catchup:
		e := s.skipToLatest(now)
		if b.start != nil {
			if a := s.alignNext(*b.start); a.After(e) {
				e = a
			}
		}
		earliest = &e
	case b.start != nil:
		e := s.alignNext(*b.start)
		earliest = &e
	}
	var start time.Time
	if last == nil {
		if earliest == nil {
			return DataInterval{}, false
		}
		start = *earliest
	} else {
		// Aligning the previous end copes with a schedule changed since the last run.
		start = s.alignPrev(last.End)
		if earliest != nil && earliest.After(start) {
			start = *earliest
		}
	}
	if start.IsZero() || b.pastEnd(start) {
		return DataInterval{}, false
	}
	end := s.next(start)
	if end.IsZero() {
		return DataInterval{}, false
	}
	return DataInterval{b.in(start), b.in(end)}, true
}

// intervals lists the intervals whose start is in [from, to] within start_date and end_date.
func intervals(s dataIntervals, b bounds, from, to time.Time) []DataInterval {
	from, to = b.clamp(from, to)
	var out []DataInterval
	for start := s.alignNext(from); !start.IsZero() && !start.After(to); {
		end := s.next(start)
		if end.IsZero() {
			break
		}
		out = append(out, DataInterval{b.in(start), b.in(end)})
		start = end
	}
	return out
}

// cronTimetable is Airflow's CronDataIntervalTimetable: intervals between consecutive fire times
// of a cron expression in the DAG's timezone.
type cronTimetable struct {
	bounds
	expr *cron.Expr
}

var _ Timetable = (*cronTimetable)(nil)

func (c *cronTimetable) next(t time.Time) time.Time { return c.expr.Next(c.in(t)) }

// prevOrAt is the last fire time at or before t.
func (c *cronTimetable) prevOrAt(t time.Time) time.Time { return c.expr.Prev(c.in(t)) }

// prevBefore is the last fire time strictly before t, croniter's get_prev.
func (c *cronTimetable) prevBefore(t time.Time) time.Time {
	return c.expr.Prev(c.in(t).Add(-time.Nanosecond))
}

func (c *cronTimetable) alignNext(t time.Time) time.Time {
	if p := c.prevOrAt(t); p.Equal(t) {
		return c.in(t)
	}
	return c.next(t)
}

func (c *cronTimetable) alignPrev(t time.Time) time.Time { return c.prevOrAt(t) }

// skipToLatest is the start of the latest complete interval: the one ending at the last fire
// time at or before now.
func (c *cronTimetable) skipToLatest(now time.Time) time.Time {
	end := c.prevOrAt(now)
	if end.IsZero() {
		return end
	}
	return c.prevBefore(end)
}

func (c *cronTimetable) Next(last *DataInterval, now time.Time, catchup bool) (DataInterval, bool) {
	return nextInterval(c, c.bounds, last, now, catchup)
}

func (c *cronTimetable) Intervals(from, to time.Time) []DataInterval {
	return intervals(c, c.bounds, from, to)
}

func (c *cronTimetable) ManualInterval(t time.Time) DataInterval {
	end := c.alignPrev(t)
	start := c.prevBefore(end)
	if end.IsZero() || start.IsZero() {
		return c.exact(t)
	}
	return DataInterval{start, end}
}

// deltaTimetable is Airflow's DeltaDataIntervalTimetable for "@every D": intervals of D from
// start_date, every time on the grid.
type deltaTimetable struct {
	bounds
	every time.Duration
}

var _ Timetable = (*deltaTimetable)(nil)

func (d *deltaTimetable) next(t time.Time) time.Time      { return d.in(t.Add(d.every)) }
func (d *deltaTimetable) alignNext(t time.Time) time.Time { return d.in(t) }
func (d *deltaTimetable) alignPrev(t time.Time) time.Time { return d.in(t) }

// skipToLatest rounds now down to a multiple of D since the Unix epoch and steps back one D,
// as Airflow does: the result need not be on the start_date grid.
func (d *deltaTimetable) skipToLatest(now time.Time) time.Time {
	ns, every := now.UnixNano(), d.every.Nanoseconds()
	rem := ns % every
	if rem < 0 {
		rem += every
	}
	return d.in(time.Unix(0, ns-rem).Add(-d.every))
}

func (d *deltaTimetable) Next(last *DataInterval, now time.Time, catchup bool) (DataInterval, bool) {
	return nextInterval(d, d.bounds, last, now, catchup)
}

// Intervals lists the start_date + kD intervals starting in [from, to]; without a start_date
// the grid starts at from, as Airflow's backfill does.
func (d *deltaTimetable) Intervals(from, to time.Time) []DataInterval {
	from, to = d.clamp(from, to)
	origin := from
	if d.start != nil {
		origin = *d.start
	}
	first := origin
	if gap := from.Sub(origin); gap > 0 {
		k := (gap + d.every - 1) / d.every // ceil: the first grid point at or after from
		first = origin.Add(k * d.every)
	}
	var out []DataInterval
	for s := first; !s.After(to); s = s.Add(d.every) {
		out = append(out, DataInterval{d.in(s), d.in(s.Add(d.every))})
	}
	return out
}

func (d *deltaTimetable) ManualInterval(t time.Time) DataInterval {
	return DataInterval{d.in(t.Add(-d.every)), d.in(t)}
}

// onceTimetable is Airflow's OnceTimetable: one run, at start_date, whatever catchup says.
type onceTimetable struct{ bounds }

var _ Timetable = (*onceTimetable)(nil)

func (o *onceTimetable) Next(last *DataInterval, _ time.Time, _ bool) (DataInterval, bool) {
	if last != nil || o.start == nil || o.pastEnd(*o.start) {
		return DataInterval{}, false
	}
	return o.exact(*o.start), true
}

func (o *onceTimetable) Intervals(from, to time.Time) []DataInterval {
	if o.start == nil || o.pastEnd(*o.start) || o.start.Before(from) || o.start.After(to) {
		return nil
	}
	return []DataInterval{o.exact(*o.start)}
}

func (o *onceTimetable) ManualInterval(t time.Time) DataInterval { return o.exact(t) }

// continuousTimetable is Airflow's ContinuousTimetable ("@continuous"): the next run is due as
// soon as there is room for it (max_active_runs is 1, so when the last one ended), whatever
// catchup says. The first run covers [start_date, now], each next one [the last one's end,
// now]; the logical date is the end: the moment the run was due.
type continuousTimetable struct{ bounds }

var _ Timetable = (*continuousTimetable)(nil)

// minStep keeps two runs from one instant apart: a run that ended at the instant it was
// created (a fake clock, a coarse one) must not make its successor's logical date, and so its
// run id, the same as its own.
const minStep = time.Millisecond

func (c *continuousTimetable) Next(last *DataInterval, now time.Time, _ bool) (DataInterval, bool) {
	if c.start == nil {
		return DataInterval{}, false // Airflow's too: without a start date it never runs
	}
	start, end := *c.start, now
	if last != nil {
		start = last.End
		if !end.After(start) {
			end = start.Add(minStep)
		}
	}
	if end.Before(start) {
		end = start // start_date is ahead: the first run is due then
	}
	if c.pastEnd(end) {
		return DataInterval{}, false
	}
	return DataInterval{c.in(start), c.in(end)}, true
}

// Intervals is empty: a continuous DAG has no intervals of its own to backfill.
func (*continuousTimetable) Intervals(time.Time, time.Time) []DataInterval { return nil }

func (c *continuousTimetable) ManualInterval(t time.Time) DataInterval { return c.exact(t) }

// LogicalDate is the interval's end: when the run became due.
func (*continuousTimetable) LogicalDate(iv DataInterval) time.Time { return iv.End }

// nullTimetable is Airflow's NullTimetable: manual runs only.
type nullTimetable struct{ bounds }

var _ Timetable = (*nullTimetable)(nil)

func (*nullTimetable) Next(*DataInterval, time.Time, bool) (DataInterval, bool) {
	return DataInterval{}, false
}

func (*nullTimetable) Intervals(time.Time, time.Time) []DataInterval { return nil }

func (n *nullTimetable) ManualInterval(t time.Time) DataInterval { return n.exact(t) }

// triggerTimetable is Airflow's CronTriggerTimetable (the default for cron schedules in Airflow
// 3): a run at each cron tick, its logical date the tick itself, its data interval
// [tick - interval, tick] (zero-length without an interval). Unlike the data-interval
// timetable a run does not wait for an interval to pass: the tick of 00:00 runs at 00:00 with
// logical date 00:00, where the data-interval run created at 00:00 has the previous day's date.
type triggerTimetable struct {
	bounds
	expr     *cron.Expr
	interval time.Duration
}

var _ Timetable = (*triggerTimetable)(nil)

func (c *triggerTimetable) next(t time.Time) time.Time { return c.expr.Next(c.in(t)) }

// alignNext is t if it is a tick, else the next one.
func (c *triggerTimetable) alignNext(t time.Time) time.Time {
	if p := c.expr.Prev(c.in(t)); p.Equal(t) {
		return c.in(t)
	}
	return c.next(t)
}

func (c *triggerTimetable) at(tick time.Time) DataInterval {
	return DataInterval{c.in(tick.Add(-c.interval)), c.in(tick)}
}

// Next is CronTriggerTimetable.next_dagrun_info: with catchup the tick after the last run's
// (or start_date aligned to a tick), without it the latest tick at or before now unless the
// last run's next tick or start_date is later, so ticks missed while paused are skipped.
func (c *triggerTimetable) Next(last *DataInterval, now time.Time, catchup bool) (DataInterval, bool) {
	var tick time.Time
	switch {
	case catchup && last != nil:
		tick = c.next(last.End)
	case catchup && c.start == nil:
		return DataInterval{}, false // nowhere to catch up from
	case catchup:
		tick = c.alignNext(*c.start)
	default:
		tick = c.expr.Prev(c.in(now))
		if last != nil {
			if n := c.next(last.End); n.After(tick) {
				tick = n
			}
		}
		if c.start != nil {
			if a := c.alignNext(*c.start); a.After(tick) {
				tick = a
			}
		}
	}
	if tick.IsZero() || c.pastEnd(tick) {
		return DataInterval{}, false
	}
	return c.at(tick), true
}

// Intervals lists a run for every tick in [from, to] within start_date and end_date.
func (c *triggerTimetable) Intervals(from, to time.Time) []DataInterval {
	from, to = c.clamp(from, to)
	var out []DataInterval
	for tick := c.alignNext(from); !tick.IsZero() && !tick.After(to); tick = c.next(tick) {
		out = append(out, c.at(tick))
	}
	return out
}

// ManualInterval is [t - interval, t], Airflow's infer_manual_data_interval for this timetable.
func (c *triggerTimetable) ManualInterval(t time.Time) DataInterval { return c.at(t) }

// LogicalDate is the tick: the interval's end.
func (*triggerTimetable) LogicalDate(iv DataInterval) time.Time { return iv.End }

// NextDue is when the scheduled run after the one over iv falls due, whatever start_date,
// end_date and catchup say (Airflow's next_dagrun_info unrestricted): a run over iv is of the
// latest interval until then. ok is false when no run follows (@once, no schedule, @continuous).
func NextDue(d *tasks.DAG, iv DataInterval) (time.Time, bool) {
	if d.Schedule.Kind != tasks.ScheduleCron && d.Schedule.Kind != tasks.ScheduleEvery {
		return time.Time{}, false
	}
	unbounded := *d
	unbounded.StartDate, unbounded.EndDate = nil, nil
	next, ok := For(&unbounded).Next(&iv, iv.End, true)
	if !ok {
		return time.Time{}, false
	}
	return next.End, true
}
