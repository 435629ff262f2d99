package cron

import (
	"math/bits"
	"time"
)

// Fire times are searched on the wall clock, represented as "wall seconds": the wall date and
// time read as if it were UTC, counted from 1970-01-01 00:00. Within one zone span (a stretch of
// time with one UTC offset, from time.Time.ZoneBounds) the wall clock is instant + offset, so a
// matching wall time w fires at w - offset. Next and Prev walk the spans of t's location.
//
// Which wall times of a span may fire depends on Fixed:
//
//   - Fixed: every wall time of the span. Both passes of a repeated hour fire; a skipped hour
//     simply has no wall times.
//   - Otherwise only wall times never reached again after the span ends: inf, the lowest wall
//     clock of all later spans, excludes the first pass of a repeated hour, so a wall time that
//     occurs twice fires at its second occurrence (Airflow's make_aware, fold=1). Wall times
//     skipped by a forward jump ([sup, wall at span start), sup the highest wall clock of all
//     earlier spans) fire once, at the span's start.

const (
	secsPerMinute = 60
	secsPerDay    = 86400

	// horizon bounds the search: a valid expression fires at least every 8 years (29 February).
	horizon = 50 * 366 * secsPerDay
	// maxAbs keeps the arithmetic far from overflow: about a million years around 1970.
	maxAbs = 1_000_000 * 366 * secsPerDay

	// unbounded marks a zone span with no start or end. Offsets are below a day, so adding one
	// never overflows.
	unbounded = 1 << 62
)

// Next returns the first fire time strictly after t, evaluated in t.Location() (the DAG's
// timezone). The result is in t.Location(). It returns the zero time.Time only if no fire time
// exists within 50 years of t or t is absurdly far from the present, which cannot happen for
// the years a scheduler sees because Parse rejects expressions that never fire.
func (e *Expr) Next(t time.Time) time.Time {
	ts := t.Unix() // fire times are whole seconds, so u > t ⟺ u > floor(t)
	if !e.valid() || ts < -maxAbs || ts > maxAbs {
		return time.Time{}
	}
	loc := t.Location()
	limit := ts + horizon
	sp := spanAt(ts, loc)
	sup := int64(-unbounded)
	if !e.Fixed() {
		sup = supBefore(sp, loc)
	}
	from := ts + sp.off + 1 // wall times after t's own
	for i := 0; i < maxSpans; i++ {
		wallStart, wallEnd := sp.start+sp.off, sp.end+sp.off
		until := min(wallEnd, limit+sp.off)
		if !e.Fixed() {
			// t lies in the first span, so its start cannot be strictly after t.
			if i > 0 && sup < wallStart {
				if _, ok := e.nextMatch(sup, wallStart); ok {
					return time.Unix(sp.start, 0).In(loc)
				}
			}
			until = min(until, infAfter(sp, loc))
			sup = max(sup, wallEnd)
		}
		from = max(from, wallStart)
		if w, ok := e.nextMatch(from, until); ok {
			return time.Unix(w-sp.off, 0).In(loc)
		}
		if sp.end == unbounded || sp.end > limit {
			break
		}
		next := spanAt(sp.end, loc)
		if next.start != sp.end || next.end <= sp.end {
			break // never happens with the time package's zones; do not loop on a broken one
		}
		sp = next
		from = -unbounded // the new span's own bound (wallStart) applies
	}
	return time.Time{}
}

// Prev returns the latest fire time at or before t, evaluated in t.Location() (the scheduler
// needs "latest complete interval" when catchup is off). The result is in t.Location(). It
// returns the zero time.Time under the same conditions as Next.
func (e *Expr) Prev(t time.Time) time.Time {
	ts := t.Unix() // u <= t ⟺ u <= floor(t) for whole seconds u
	if !e.valid() || ts < -maxAbs || ts > maxAbs {
		return time.Time{}
	}
	loc := t.Location()
	limit := ts - horizon
	sp := spanAt(ts, loc)
	from := ts + sp.off
	for i := 0; i < maxSpans; i++ {
		wallStart := sp.start + sp.off
		sup := int64(-unbounded)
		if !e.Fixed() {
			sup = supBefore(sp, loc)
			from = min(from, infAfter(sp, loc)-1) // those fire again in a later span
		}
		if w, ok := e.prevMatch(from, max(wallStart, limit+sp.off)); ok {
			return time.Unix(w-sp.off, 0).In(loc)
		}
		if !e.Fixed() && sp.start != -unbounded && sup < wallStart {
			if _, ok := e.nextMatch(sup, wallStart); ok {
				return time.Unix(sp.start, 0).In(loc)
			}
		}
		if sp.start == -unbounded || sp.start < limit {
			break
		}
		prev := spanAt(sp.start-1, loc)
		if prev.end != sp.start || prev.start >= sp.start {
			break
		}
		sp = prev
		from = sp.end + sp.off - 1
	}
	return time.Time{}
}

// valid rejects an Expr that did not come from Parse (nil or zero), which matches nothing.
func (e *Expr) valid() bool {
	return e != nil && e.minute != 0 && e.hour != 0 && e.month != 0 &&
		(e.dom != 0 || e.domLast || e.domNear != 0) && (e.dow != 0 || e.dowNth != [7]uint8{})
}

// maxSpans bounds the walk over zone spans; real zones change offset a few times a year.
const maxSpans = 10_000

// span is a stretch of time with one UTC offset: [start, end) in Unix seconds, ±unbounded when
// open.
type span struct {
	start, end, off int64
}

func spanAt(u int64, loc *time.Location) span {
	sp := zoneSpan(u, loc)
	// Past the end of a zone's table, where its offsets follow a rule, Go (1.26) ends a leap
	// year's last span a day early, at 31 December 00:00 UTC, and reports that same span for
	// the instants of 31 December: the walks below would stop there. The next span really
	// starts a day later (1 January), with the same offset.
	if sp.end != unbounded && sp.end < unbounded-secsPerDay {
		if n := zoneSpan(sp.end, loc); n.start != sp.end && n.end == sp.end {
			if m := zoneSpan(sp.end+secsPerDay, loc); m.start > sp.end && m.start <= sp.end+secsPerDay {
				sp.end = m.start
			}
		}
	}
	// Where a zone's table ends (the last transition it lists; 2038-01-19 03:14:07 UTC, the
	// 32-bit limit, for most zones) Go reports the table's last span as ending there, but the
	// span of that instant, computed from the zone's rule, starts earlier, at 1 January 00:00
	// UTC: the two overlap with the same offset (Australia/Lord_Howe in its summer time). They
	// are one span; without the merge the walks below stop at the overlap and a schedule that
	// fires after 2038 (0 0 * 2 0#5, next in 2060) would have no next time.
	if sp.end != unbounded {
		if n := zoneSpan(sp.end, loc); n.start < sp.end && n.end > sp.end && n.off == sp.off {
			sp.end = n.end
		}
	}
	if sp.start != -unbounded {
		if p := zoneSpan(sp.start-1, loc); p.end > sp.start && p.start < sp.start && p.off == sp.off {
			sp.start = p.start
		}
	}
	return sp
}

func zoneSpan(u int64, loc *time.Location) span {
	t := time.Unix(u, 0).In(loc)
	_, off := t.Zone()
	sp := span{start: -unbounded, end: unbounded, off: int64(off)}
	s, e := t.ZoneBounds()
	if !s.IsZero() {
		sp.start = s.Unix()
	}
	if !e.IsZero() {
		sp.end = e.Unix()
	}
	return sp
}

// supBefore returns the least upper bound of the wall clock before sp starts: normally the
// wall time at which the previous span ended, higher than sp's first wall time after a
// backward jump. Offsets differ by less than two days, so spans that ended earlier than that
// cannot matter.
func supBefore(sp span, loc *time.Location) int64 {
	sup := int64(-unbounded)
	cur := sp
	for i := 0; i < 16 && cur.start != -unbounded && cur.start > sp.start-2*secsPerDay; i++ {
		prev := spanAt(cur.start-1, loc)
		if prev.end != cur.start || prev.start >= cur.start {
			break
		}
		sup = max(sup, prev.end+prev.off)
		cur = prev
	}
	return sup
}

// infAfter returns the greatest lower bound of the wall clock after sp ends: normally the wall
// time at which sp ended, lower after a backward jump, where the wall times from there to sp's
// end are reached a second time. As in supBefore, spans starting more than two days later
// cannot matter.
func infAfter(sp span, loc *time.Location) int64 {
	inf := int64(unbounded)
	cur := sp
	for i := 0; i < 16 && cur.end != unbounded && cur.end < sp.end+2*secsPerDay; i++ {
		next := spanAt(cur.end, loc)
		if next.start != cur.end || next.end <= cur.end {
			break
		}
		inf = min(inf, next.start+next.off)
		cur = next
	}
	return inf
}

// nextMatch returns the earliest matching wall time w with from <= w < until. It moves by
// months, days, hours and minutes, so it never scans minute by minute.
func (e *Expr) nextMatch(from, until int64) (int64, bool) {
	if from >= until {
		return 0, false
	}
	w := floorDiv(from+secsPerMinute-1, secsPerMinute) * secsPerMinute
	days := floorDiv(w, secsPerDay)
	y, mo, d := civil(days)
	h, mi := int((w-days*secsPerDay)/3600), int((w-days*secsPerDay)%3600/60)
	for range maxSteps {
		w := wall(y, mo, d, h, mi)
		if w >= until {
			return 0, false
		}
		switch {
		case e.month&(1<<mo) == 0:
			if m, ok := nextBit(e.month, mo+1, 12); ok {
				mo = m
			} else {
				y, mo = y+1, bits.TrailingZeros64(e.month)
			}
			d, h, mi = 1, 0, 0
		case d > daysIn(y, mo):
			if mo++; mo > 12 {
				y, mo = y+1, 1
			}
			d, h, mi = 1, 0, 0
		case !e.dayMatches(y, mo, d):
			d, h, mi = d+1, 0, 0
		case e.hour&(1<<h) == 0:
			if v, ok := nextBit(e.hour, h+1, 23); ok {
				h, mi = v, 0
			} else {
				d, h, mi = d+1, 0, 0
			}
		case e.minute&(1<<mi) == 0:
			if v, ok := nextBit(e.minute, mi+1, 59); ok {
				mi = v
			} else if h, mi = h+1, 0; h > 23 {
				d, h = d+1, 0
			}
		default:
			return w, true
		}
	}
	return 0, false
}

// prevMatch returns the latest matching wall time w with since <= w <= from.
func (e *Expr) prevMatch(from, since int64) (int64, bool) {
	if from < since {
		return 0, false
	}
	w := floorDiv(from, secsPerMinute) * secsPerMinute
	days := floorDiv(w, secsPerDay)
	y, mo, d := civil(days)
	h, mi := int((w-days*secsPerDay)/3600), int((w-days*secsPerDay)%3600/60)
	for range maxSteps {
		w := wall(y, mo, d, h, mi)
		if w < since {
			return 0, false
		}
		switch {
		case e.month&(1<<mo) == 0:
			if m, ok := prevBit(e.month, mo-1); ok {
				mo = m
			} else {
				y, mo = y-1, 63-bits.LeadingZeros64(e.month)
			}
			d, h, mi = daysIn(y, mo), 23, 59
		case d < 1:
			if mo--; mo < 1 {
				y, mo = y-1, 12
			}
			d, h, mi = daysIn(y, mo), 23, 59
		case !e.dayMatches(y, mo, d):
			d, h, mi = d-1, 23, 59
		case e.hour&(1<<h) == 0:
			if v, ok := prevBit(e.hour, h-1); ok {
				h, mi = v, 59
			} else {
				d, h, mi = d-1, 23, 59
			}
		case e.minute&(1<<mi) == 0:
			if v, ok := prevBit(e.minute, mi-1); ok {
				mi = v
			} else if h, mi = h-1, 59; h < 0 {
				d, h = d-1, 23
			}
		default:
			return w, true
		}
	}
	return 0, false
}

// maxSteps bounds nextMatch and prevMatch; a search over 50 years takes far fewer steps
// (at most one per day plus a few per matching day).
const maxSteps = 100_000

// dayMatches applies croniter's day rule: OR when both day fields are restricted, AND otherwise
// (an unrestricted field matches every day, so AND reduces to the other field).
func (e *Expr) dayMatches(y int64, mo, d int) bool {
	wd := weekday(y, mo, d)
	domOK := e.dom&(1<<d) != 0 || e.domLast && d == daysIn(y, mo) || e.domNear != 0 && e.nearMatches(y, mo, d, wd)
	dowOK := e.dow&(1<<wd) != 0 || e.dowNth[wd] != 0 && e.nthMatches(y, mo, d, wd)
	if e.domAll || e.dowAll {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// nthMatches reports whether day d, a weekday wd, is the nth or last of that weekday in its
// month as dowNth asks (w#n, Lw). A month without a fifth one simply has no match.
func (e *Expr) nthMatches(y int64, mo, d, wd int) bool {
	bits := e.dowNth[wd]
	if bits&(1<<((d-1)/7)) != 0 {
		return true
	}
	return bits&(1<<lastNth) != 0 && d+7 > daysIn(y, mo)
}

// nearMatches reports whether day d is the weekday nearest one of the nW days: the day itself
// on Monday to Friday, the Friday before a Saturday, the Monday after a Sunday, never leaving
// the month (a Saturday 1st moves to Monday the 3rd, a Sunday last day to the Friday before).
// A day the month does not have (31W in April) fires nowhere that month.
func (e *Expr) nearMatches(y int64, mo, d, wd int) bool {
	if wd == 0 || wd == 6 {
		return false
	}
	n := daysIn(y, mo)
	for t := max(1, d-2); t <= min(n, d+2); t++ {
		if e.domNear&(1<<t) != 0 && nearestWeekday(t, weekday(y, mo, t), n) == d {
			return true
		}
	}
	return false
}

// nearestWeekday is croniter's W for day t (weekday wt) of a month of n days.
func nearestWeekday(t, wt, n int) int {
	switch {
	case wt == 6 && t == 1:
		return 3
	case wt == 6:
		return t - 1
	case wt == 0 && t == n:
		return t - 2
	case wt == 0:
		return t + 1
	}
	return t
}

// nextBit returns the lowest set bit of mask in [from, max].
func nextBit(mask uint64, from, max int) (int, bool) {
	if from > max {
		return 0, false
	}
	m := mask >> uint(from)
	if m == 0 {
		return 0, false
	}
	v := from + bits.TrailingZeros64(m)
	return v, v <= max
}

// prevBit returns the highest set bit of mask in [0, from].
func prevBit(mask uint64, from int) (int, bool) {
	if from < 0 {
		return 0, false
	}
	m := mask & (1<<uint(from+1) - 1)
	if m == 0 {
		return 0, false
	}
	return 63 - bits.LeadingZeros64(m), true
}

// wall returns the wall seconds of a date and time. d may run one past the month's end or be
// 0; the result is then the matching day of the next or previous month, which keeps the
// bounds checks in nextMatch and prevMatch monotonic.
func wall(y int64, mo, d, h, mi int) int64 {
	return (daysFromCivil(y, mo, 1)+int64(d-1))*secsPerDay + int64(h)*3600 + int64(mi)*secsPerMinute
}

func daysIn(y int64, mo int) int {
	if mo == 2 && isLeap(y) {
		return 29
	}
	if mo == 2 {
		return 28
	}
	return maxDays[mo]
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// weekday returns 0 for Sunday through 6 for Saturday.
func weekday(y int64, mo, d int) int {
	return int(floorMod(daysFromCivil(y, mo, d)+4, 7)) // 1970-01-01 was a Thursday
}

// daysFromCivil and civil convert between proleptic Gregorian dates and days since 1970-01-01
// (Howard Hinnant's algorithms), valid for any year the int64 arithmetic allows.
func daysFromCivil(y int64, mo, d int) int64 {
	if mo <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := int64((mo + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civil(days int64) (y int64, mo, d int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	mo = int(mp + 3)
	if mo > 12 {
		mo -= 12
	}
	y = yoe + era*400
	if mo <= 2 {
		y++
	}
	return y, mo, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
