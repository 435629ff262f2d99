package cron

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"
)

// refMatch reports whether a wall time (given as a UTC time) matches e, using the time package's
// calendar rather than the package's own.
func refMatch(e *Expr, w time.Time) bool {
	if e.minute&(1<<w.Minute()) == 0 || e.hour&(1<<w.Hour()) == 0 || e.month&(1<<int(w.Month())) == 0 {
		return false
	}
	domOK := e.dom&(1<<w.Day()) != 0 || e.domLast && w.AddDate(0, 0, 1).Day() == 1 || refNear(e, w)
	dowOK := e.dow&(1<<int(w.Weekday())) != 0
	if n := e.dowNth[w.Weekday()]; n != 0 {
		dowOK = dowOK || n&(1<<((w.Day()-1)/7)) != 0 || n&(1<<lastNth) != 0 && w.AddDate(0, 0, 7).Month() != w.Month()
	}
	if e.dom == allDoms || e.dow == allDows {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// refNear reports whether w's day is the weekday nearest one of e's W days: it tries every
// such day of w's month, moving it off the weekend with time.Time arithmetic.
func refNear(e *Expr, w time.Time) bool {
	for t := 1; t <= 31; t++ {
		if e.domNear&(1<<t) == 0 {
			continue
		}
		d := time.Date(w.Year(), w.Month(), t, 0, 0, 0, 0, time.UTC)
		if d.Month() != w.Month() {
			continue // the month has no such day
		}
		switch d.Weekday() {
		case time.Saturday:
			if d = d.AddDate(0, 0, -1); d.Month() != w.Month() {
				d = d.AddDate(0, 0, 3)
			}
		case time.Sunday:
			if d = d.AddDate(0, 0, 1); d.Month() != w.Month() {
				d = d.AddDate(0, 0, -3)
			}
		}
		if d.Day() == w.Day() {
			return true
		}
	}
	return false
}

// refFires lists the fire times in [lo, hi] by stepping through real time minute by minute,
// straight from the rules in doc.go. The zone's offsets must be whole minutes.
func refFires(e *Expr, loc *time.Location, lo, hi time.Time) []time.Time {
	type minute struct {
		u, w time.Time // the instant and its wall clock read as UTC
	}
	var ms []minute
	for u := lo.Add(-72 * time.Hour).Truncate(time.Minute); !u.After(hi.Add(72 * time.Hour)); u = u.Add(time.Minute) {
		lt := u.In(loc)
		ms = append(ms, minute{u, time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), 0, 0, time.UTC)})
	}
	// later[i] is the lowest wall clock after minute i: a wall time not below it comes again.
	later := make([]time.Time, len(ms))
	for i := len(ms) - 1; i > 0; i-- {
		later[i-1] = ms[i].w
		if i < len(ms)-1 && later[i].Before(later[i-1]) {
			later[i-1] = later[i]
		}
	}
	later[len(ms)-1] = ms[len(ms)-1].w.Add(time.Hour)
	var out []time.Time
	var maxWall time.Time // the highest wall clock seen so far
	for i, m := range ms {
		if m.u.After(hi) {
			break
		}
		u, w := m.u, m.w
		fire := false
		switch {
		case e.Fixed():
			fire = refMatch(e, w) // every real instant whose wall clock matches
		default:
			fire = refMatch(e, w) && w.Before(later[i]) // its last occurrence
			if !maxWall.IsZero() && w.After(maxWall) {
				for g := maxWall.Add(time.Minute); !fire && g.Before(w); g = g.Add(time.Minute) {
					fire = refMatch(e, g) // a skipped wall time runs now
				}
			}
		}
		if maxWall.IsZero() || w.After(maxWall) {
			maxWall = w
		}
		if fire && !u.Before(lo) {
			out = append(out, u)
		}
	}
	return out
}

type window struct {
	zone string
	at   time.Time // a zone transition or another interesting instant
}

var bruteWindows = []window{
	{"UTC", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
	{"America/New_York", time.Date(2024, 3, 10, 7, 0, 0, 0, time.UTC)},
	{"America/New_York", time.Date(2024, 11, 3, 6, 0, 0, 0, time.UTC)},
	{"America/New_York", time.Date(2050, 11, 6, 6, 0, 0, 0, time.UTC)}, // rule-based, past the tzdata table
	{"Europe/Berlin", time.Date(2024, 3, 31, 1, 0, 0, 0, time.UTC)},
	{"Europe/Berlin", time.Date(2024, 10, 27, 1, 0, 0, 0, time.UTC)},
	{"Europe/Berlin", time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)}, // a span boundary with no offset change
	{"America/Sao_Paulo", time.Date(2018, 11, 4, 3, 0, 0, 0, time.UTC)},
	{"Australia/Lord_Howe", time.Date(2024, 4, 6, 15, 0, 0, 0, time.UTC)},
	{"Australia/Lord_Howe", time.Date(2024, 10, 5, 15, 30, 0, 0, time.UTC)},
	{"America/St_Johns", time.Date(2024, 11, 3, 4, 30, 0, 0, time.UTC)},
	{"Asia/Kathmandu", time.Date(1985, 12, 31, 18, 30, 0, 0, time.UTC)}, // a 15-minute gap
	{"Pacific/Apia", time.Date(2011, 12, 30, 10, 0, 0, 0, time.UTC)},    // 30 December 2011 never happened
	{"Antarctica/Casey", time.Date(2010, 3, 4, 15, 0, 0, 0, time.UTC)},  // a 3-hour repeat
	{"Antarctica/Casey", time.Date(2009, 10, 17, 18, 0, 0, 0, time.UTC)},
	{"Europe/Zurich", time.Date(2024, 10, 27, 1, 0, 0, 0, time.UTC)}, // the last Sunday of October
	{"Europe/Zurich", time.Date(2024, 3, 31, 1, 0, 0, 0, time.UTC)},
	{"UTC", time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC)}, // 2100 is no leap year
	{"UTC", time.Date(2400, 2, 29, 12, 0, 0, 0, time.UTC)},
	{"America/New_York", time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}, // a Saturday 1st (1W)
}

var bruteSpecs = []string{
	"* * * * *", "*/15 * * * *", "0 * * * *", "30 * * * *", "*/20 1 * * *", "30 2 * * *",
	"30 1 * * *", "0 0 * * *", "0 2,3 * * *", "0 */2 * * *", "0 */3 * * *", "45 23 * * *",
	"15 0 * * *", "0 1-3 * * *", "*/7 0-4 * * *", "0 9 * * 1-5", "0 0 * * 0",
	// croniter's extensions
	"30 1 L * *", "0 2 L * *", "30 2 * * L0", "0 1 * * 0#1", "30 1 3W * *", "0 0 29-L * *",
	"0 1 ? * *", "15 2 * * sun#5", "*/30 1-2 1-L/3 * *", "0 0 1W * *", "0 12 ? * L6,6#1", "0 3 ? * ?",
}

// randomSpec builds an expression around the window's date so that most of them fire in it.
func randomSpec(r *rand.Rand, at time.Time) string {
	pick := func(opts ...string) string { return opts[r.IntN(len(opts))] }
	d := at.Day()
	return strings.Join([]string{
		pick("*", "0", "30", "*/15", "*/20", "0,30", "5-10", "59", "*/7", "15,45"),
		pick("*", "*", "0", "1", "2", "3", "*/2", "1-3", "0,12", "23", "2,3", "22-23", "*/3"),
		pick("*", "*", "*", fmt.Sprint(d), fmt.Sprintf("%d-%d", max(d-1, 1), min(d+1, 28)), "*/2", "28-31", "1",
			"L", "?", "29-L", "1-L/8", fmt.Sprintf("%dW", d), fmt.Sprintf("W%d", max(d-1, 1)), fmt.Sprintf("%dW", min(d+1, 31))),
		pick("*", "*", fmt.Sprint(int(at.Month())), "1-6", "*/2", "7-12"),
		pick("*", "*", "*", "0", "1-5", "SAT,SUN", "*/3", fmt.Sprint(int(at.Weekday())), "?",
			fmt.Sprintf("L%d", int(at.Weekday())), fmt.Sprintf("%d#%d", int(at.Weekday()), (d-1)/7+1), "L6,6#1", "1#5,L2"),
	}, " ")
}

// TestAgainstBruteForce checks Next and Prev against refFires around DST transitions and other
// zone changes, for hand-picked and random expressions.
func TestAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, w := range bruteWindows {
		l := loc(t, w.zone)
		lo, hi := w.at.Add(-36*time.Hour), w.at.Add(36*time.Hour)
		specs := append([]string{}, bruteSpecs...)
		for range 25 {
			specs = append(specs, randomSpec(r, w.at.In(l)))
		}
		for _, spec := range specs {
			e, err := Parse(spec)
			if err != nil {
				continue // a random day/month pair that never fires
			}
			fires := refFires(e, l, lo, hi)
			samples := []time.Time{lo, hi}
			for s := lo; s.Before(hi); s = s.Add(13*time.Minute + 7*time.Second) {
				samples = append(samples, s)
			}
			for _, f := range fires {
				samples = append(samples, f, f.Add(-time.Second), f.Add(time.Second), f.Add(-time.Nanosecond))
			}
			for _, s := range samples {
				s = s.In(l)
				i := sort.Search(len(fires), func(i int) bool { return fires[i].After(s) })
				got := e.Next(s)
				if i < len(fires) {
					if !got.Equal(fires[i]) {
						t.Fatalf("%s %q: Next(%s) = %s, want %s", w.zone, spec, s, got, fires[i].In(l))
					}
				} else if !got.After(hi) {
					t.Fatalf("%s %q: Next(%s) = %s, want after %s", w.zone, spec, s, got, hi.In(l))
				}
				got = e.Prev(s)
				if i > 0 {
					if !got.Equal(fires[i-1]) {
						t.Fatalf("%s %q: Prev(%s) = %s, want %s", w.zone, spec, s, got, fires[i-1].In(l))
					}
				} else if !got.Before(lo) || got.IsZero() {
					t.Fatalf("%s %q: Prev(%s) = %s, want before %s", w.zone, spec, s, got, lo.In(l))
				}
			}
		}
	}
}

var fuzzZones = []string{
	"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Apia",
	"Antarctica/Casey", "Asia/Kathmandu", "America/Sao_Paulo",
}

// FuzzParse checks that Parse never panics, that errors name the expression, and that for any
// expression that parses Next(t) > t, Prev(t) <= t, and the two agree with each other.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"* * * * *", "*/15 * * * *", "0 * * * *", "30 2 * * *", "30 1 * * *", "0 0 29 2 *",
		"0 0 31 * *", "0 0 13 * FRI", "0 0 */2 * FRI", "0 9 * * MON-FRI", "0 0 * * 7", "0 0 * * FRI-SUN",
		"1,5-6,*/20 9-17/4 1,15,31 JAN-jun/2 1/2", "@daily", "@quarterly", "@Hourly", "@every 30m",
		"", "0 25 * * *", "0 0 30 2 *", "*/0 * * * *", "1-2-3 * * * *", "5-1 * * * *", "0 0 ? * *",
		"0 0 L * *", "0 0 * * 1#2", "0 0 29-L * *", "0 0 1-L/8 * *", "0 0 15W * *", "0 0 W1 * *",
		"0 0 * * L5", "0 0 * * L2,L4", "0 0 * * L6,6#1", "0 0 * * wed#5", "0 0 * 2 1#5", "0 0 ? * ?",
		"0 0 30W 2 *", "0 0 LW * *", "? * * * *", "99999999999 * * * *", "*/99999999999 * * * *", "ſun * * * *",
		"0 0 * * * *", "-1 * * * *", ",,, * * * *", "\x00 * * * *",
	} {
		f.Add(s, int64(0), uint8(0))
		f.Add(s, int64(762_000_000), uint8(1))
		f.Add(s, int64(-1_234_567_890), uint8(4))
	}
	locs := make([]*time.Location, len(fuzzZones))
	for i, z := range fuzzZones {
		locs[i] = loc(f, z)
	}
	const window = 200 * 366 * secsPerDay // t within about 200 years of 2001
	f.Fuzz(func(t *testing.T, spec string, sec int64, zone uint8) {
		e, err := Parse(spec)
		if err != nil {
			if prefix := fmt.Sprintf("cron %q: ", spec); !strings.HasPrefix(err.Error(), prefix) {
				t.Fatalf("error %q does not start with %q", err, prefix)
			}
			return
		}
		again, err := Parse(e.String())
		if err != nil || !sameSchedule(e, again) || again.String() != e.String() {
			t.Fatalf("Parse(%q).String() = %q does not parse back to the same schedule (%v)", spec, e.String(), err)
		}

		l := locs[int(zone)%len(locs)]
		tm := time.Unix(1_000_000_000+sec%window, 0).In(l)
		n := e.Next(tm)
		if n.IsZero() || !n.After(tm) {
			t.Fatalf("%q: Next(%s) = %s, not after", spec, tm, n)
		}
		if p := e.Prev(n); !p.Equal(n) {
			t.Fatalf("%q: Prev(Next(%s)) = %s, want %s", spec, tm, p, n)
		}
		if m := e.Next(n.Add(-time.Nanosecond)); !m.Equal(n) {
			t.Fatalf("%q: Next(%s - 1ns) = %s, want %s", spec, n, m, n)
		}
		if m := e.Next(tm.Add(n.Sub(tm) / 2)); !m.Equal(n) {
			t.Fatalf("%q: Next halfway from %s to %s = %s", spec, tm, n, m)
		}
		if nn := e.Next(n); !nn.After(n) {
			t.Fatalf("%q: Next(%s) = %s, not after", spec, n, nn)
		}
		p := e.Prev(tm)
		if p.IsZero() || p.After(tm) {
			t.Fatalf("%q: Prev(%s) = %s, after t", spec, tm, p)
		}
		if m := e.Next(p); !m.Equal(n) {
			t.Fatalf("%q: Next(Prev(%s)) = %s, want Next = %s", spec, tm, m, n)
		}
		if m := e.Prev(n.Add(-time.Nanosecond)); !m.Equal(p) {
			t.Fatalf("%q: Prev(Next(%s) - 1ns) = %s, want Prev = %s", spec, tm, m, p)
		}
		if l == time.UTC && (!refMatch(e, n) || !refMatch(e, p)) {
			t.Fatalf("%q: Next %s or Prev %s does not match the expression", spec, n, p)
		}
	})
}
