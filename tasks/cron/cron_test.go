package cron

import (
	"math/bits"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the DST tests must not depend on the machine's zoneinfo
)

func loc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return l
}

// at parses an RFC 3339 time (with its offset, so fold times are unambiguous) and moves it to zone.
func at(t testing.TB, s, zone string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("parse time %q: %v", s, err)
	}
	return v.In(loc(t, zone))
}

func mustParse(t testing.TB, spec string) *Expr {
	t.Helper()
	e, err := Parse(spec)
	if err != nil {
		t.Fatalf("Parse(%q): %v", spec, err)
	}
	return e
}

func values(mask uint64) []int {
	var out []int
	for mask != 0 {
		b := bits.TrailingZeros64(mask)
		out = append(out, b)
		mask &^= 1 << b
	}
	return out
}

func valueRange(lo, hi int) []int {
	var out []int
	for v := lo; v <= hi; v++ {
		out = append(out, v)
	}
	return out
}

func TestParseFieldSyntax(t *testing.T) {
	tests := []struct {
		field int // 0 minute .. 4 day-of-week
		text  string
		want  []int
	}{
		{0, "*", valueRange(0, 59)},
		{0, "5", []int{5}},
		{0, "0", []int{0}},
		{0, "59", []int{59}},
		{0, "007", []int{7}},
		{0, "1-3", []int{1, 2, 3}},
		{0, "*/15", []int{0, 15, 30, 45}},
		{0, "*/7", []int{0, 7, 14, 21, 28, 35, 42, 49, 56}},
		{0, "10-30/10", []int{10, 20, 30}},
		{0, "10-31/10", []int{10, 20, 30}},
		{0, "50/5", []int{50, 55}},
		{0, "1,5-6,*/20", []int{0, 1, 5, 6, 20, 40}},
		{0, "7,7,7", []int{7}},
		{0, "*/60", []int{0}},
		{0, "*/99999999999", []int{0}},
		{0, "3/99999999999", []int{3}},
		{0, "0-59", valueRange(0, 59)},
		{0, "*/1", valueRange(0, 59)},
		{0, "5-5", []int{5}},
		{1, "*/6", []int{0, 6, 12, 18}},
		{1, "9-17/4", []int{9, 13, 17}},
		{1, "22/1", []int{22, 23}},
		{1, "23", []int{23}},
		{2, "*", valueRange(1, 31)},
		{2, "1,15,31", []int{1, 15, 31}},
		{2, "*/10", []int{1, 11, 21, 31}},
		{2, "25/3", []int{25, 28, 31}},
		{3, "*", valueRange(1, 12)},
		{3, "JAN", []int{1}},
		{3, "jan-mar", []int{1, 2, 3}},
		{3, "Feb,aUg", []int{2, 8}},
		{3, "*/3", []int{1, 4, 7, 10}},
		{3, "JUN/2", []int{6, 8, 10, 12}},
		{3, "2-DEC/5", []int{2, 7, 12}},
		{3, "OCT-12", []int{10, 11, 12}},
		{4, "*", valueRange(0, 6)},
		{4, "0", []int{0}},
		{4, "7", []int{0}},
		{4, "SUN", []int{0}},
		{4, "sun,7,0", []int{0}},
		{4, "MON-FRI", []int{1, 2, 3, 4, 5}},
		{4, "mon,Wed,FRI", []int{1, 3, 5}},
		{4, "5-7", []int{0, 5, 6}},
		{4, "6-7", []int{0, 6}},
		{4, "7-7", []int{0}},
		{4, "0-7", valueRange(0, 6)},
		{4, "FRI-SUN", []int{0, 5, 6}}, // croniter's "-Sun": a range may end on Sunday as 0
		{4, "3-0", []int{0, 3, 4, 5, 6}},
		{4, "*/2", []int{0, 2, 4, 6}},
		{4, "SUN-SAT/2", []int{0, 2, 4, 6}},
		{4, "1/2", []int{0, 1, 3, 5}}, // croniter: a/n is a-7/n, and 7 is Sunday
	}
	for _, tt := range tests {
		parts := []string{"*", "*", "*", "*", "*"}
		parts[tt.field] = tt.text
		spec := strings.Join(parts, " ")
		t.Run(spec, func(t *testing.T) {
			e := mustParse(t, spec)
			masks := []uint64{e.minute, e.hour, e.dom, e.month, e.dow}
			if got := values(masks[tt.field]); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s field %q = %v, want %v", fields[tt.field].name, tt.text, got, tt.want)
			}
		})
	}
}

func TestParseDayRestriction(t *testing.T) {
	tests := []struct {
		spec           string
		domAll, dowAll bool
	}{
		{"0 0 * * *", true, true},
		{"0 0 1-31 * 0-6", true, true},
		{"0 0 */1 * 0-7", true, true},
		{"0 0 1-31 * SUN-SAT", true, true},
		{"0 0 */2 * *", false, true}, // croniter looks at the set: */2 is restricted
		{"0 0 * * */2", true, false},
		{"0 0 13 * FRI", false, false},
		{"0 0 1-30 * 1-7", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			e := mustParse(t, tt.spec)
			if e.domAll != tt.domAll || e.dowAll != tt.dowAll {
				t.Errorf("domAll, dowAll = %v, %v; want %v, %v", e.domAll, e.dowAll, tt.domAll, tt.dowAll)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"0 9 * * 1-5", "0 9 * * 1-5"},
		{"  0   9\t* *  mon-fri ", "0 9 * * MON-FRI"},
		{"0 0 1 jan,Jul *", "0 0 1 JAN,JUL *"},
		{"*/15 * * * *", "*/15 * * * *"},
		{"@daily", "@daily"},
		{" @Daily ", "@daily"},
		{"@midnight", "@midnight"},
		{"@annually", "@annually"},
		{"@YEARLY", "@yearly"},
		{"@quarterly", "@quarterly"},
		{"@monthly", "@monthly"},
		{"@weekly", "@weekly"},
		{"@hourly", "@hourly"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			e := mustParse(t, tt.spec)
			if got := e.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			again := mustParse(t, e.String())
			if again.String() != e.String() || !sameSchedule(again, e) {
				t.Errorf("Parse(String()) is not the same schedule")
			}
		})
	}
}

func sameSchedule(a, b *Expr) bool {
	return a.minute == b.minute && a.hour == b.hour && a.dom == b.dom && a.month == b.month &&
		a.dow == b.dow && a.domAll == b.domAll && a.dowAll == b.dowAll &&
		a.domLast == b.domLast && a.domNear == b.domNear && a.dowNth == b.dowNth
}

func TestPresets(t *testing.T) {
	tests := []struct{ preset, expr string }{
		{"@yearly", "0 0 1 1 *"},
		{"@annually", "0 0 1 1 *"},
		{"@quarterly", "0 0 1 */3 *"},
		{"@monthly", "0 0 1 * *"},
		{"@weekly", "0 0 * * 0"},
		{"@daily", "0 0 * * *"},
		{"@midnight", "0 0 * * *"},
		{"@hourly", "0 * * * *"},
	}
	for _, tt := range tests {
		t.Run(tt.preset, func(t *testing.T) {
			if !sameSchedule(mustParse(t, tt.preset), mustParse(t, tt.expr)) {
				t.Errorf("%s is not %s", tt.preset, tt.expr)
			}
		})
	}
}

func TestFixed(t *testing.T) {
	tests := []struct {
		spec string
		want bool
	}{
		{"*/15 * * * *", true},
		{"0 * * * *", true},
		{"@hourly", true},
		{"* * * * *", true},
		{"0 */1 * * *", true},
		{"0 0-23 * * *", true},
		{"30 * * * MON", true}, // Airflow looks at the hour field only
		{"0 */2 * * *", false},
		{"0 1-23 * * *", false},
		{"0 9 * * *", false},
		{"@daily", false},
		{"@weekly", false},
		{"@quarterly", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			if got := mustParse(t, tt.spec).Fixed(); got != tt.want {
				t.Errorf("Fixed() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const fieldsHint = "want 5 (minute hour day-of-month month day-of-week) or a preset " +
		"(@yearly, @annually, @quarterly, @monthly, @weekly, @daily, @midnight, @hourly)"
	const presetHint = "want one of @yearly, @annually, @quarterly, @monthly, @weekly, @daily, @midnight, @hourly"
	tests := []struct{ spec, want string }{
		{"", `cron "": got 0 fields, ` + fieldsHint},
		{"   ", `cron "   ": got 0 fields, ` + fieldsHint},
		{"daily", `cron "daily": got 1 field, ` + fieldsHint},
		{"* * * *", `cron "* * * *": got 4 fields, ` + fieldsHint},
		{"0 * * * * *", `cron "0 * * * * *": got 6 fields, ` + fieldsHint},
		{"0 0 * * * 2024", `cron "0 0 * * * 2024": got 6 fields, ` + fieldsHint},
		{"@every 30m", `cron "@every 30m": unknown preset "@every 30m", ` + presetHint},
		{"@once", `cron "@once": unknown preset "@once", ` + presetHint},
		{"@reboot", `cron "@reboot": unknown preset "@reboot", ` + presetHint},
		{"@", `cron "@": unknown preset "@", ` + presetHint},
		{"@daily extra", `cron "@daily extra": unknown preset "@daily extra", ` + presetHint},

		{"60 * * * *", `cron "60 * * * *": minute field "60": value 60 out of range 0-59`},
		{"0 24 * * *", `cron "0 24 * * *": hour field "24": value 24 out of range 0-23`},
		{"0 25 * * *", `cron "0 25 * * *": hour field "25": value 25 out of range 0-23`},
		{"0 0 0 * *", `cron "0 0 0 * *": day-of-month field "0": value 0 out of range 1-31`},
		{"0 0 32 * *", `cron "0 0 32 * *": day-of-month field "32": value 32 out of range 1-31`},
		{"0 0 * 0 *", `cron "0 0 * 0 *": month field "0": value 0 out of range 1-12`},
		{"0 0 * 13 *", `cron "0 0 * 13 *": month field "13": value 13 out of range 1-12`},
		{"0 0 * * 8", `cron "0 0 * * 8": day-of-week field "8": value 8 out of range 0-7`},
		{"0-60 * * * *", `cron "0-60 * * * *": minute field "0-60": value 60 out of range 0-59`},
		{"99999999999 * * * *", `cron "99999999999 * * * *": minute field "99999999999": value 99999999999 out of range 0-59`},

		{"*/0 * * * *", `cron "*/0 * * * *": minute field "*/0": step "0" must be a positive integer`},
		{"*/00 * * * *", `cron "*/00 * * * *": minute field "*/00": step "00" must be a positive integer`},
		{"*/ * * * *", `cron "*/ * * * *": minute field "*/": step "" must be a positive integer`},
		{"*/x * * * *", `cron "*/x * * * *": minute field "*/x": step "x" must be a positive integer`},
		{"*/-1 * * * *", `cron "*/-1 * * * *": minute field "*/-1": step "-1" must be a positive integer`},
		{"1/2/3 * * * *", `cron "1/2/3 * * * *": minute field "1/2/3": step "2/3" must be a positive integer`},
		{"/5 * * * *", `cron "/5 * * * *": minute field "/5": invalid value "": want a number 0-59`},

		{"5-1 * * * *", `cron "5-1 * * * *": minute field "5-1": range "5-1": start 5 is after end 1`},
		{"0 0 * DEC-JAN *", `cron "0 0 * DEC-JAN *": month field "DEC-JAN": range "DEC-JAN": start 12 is after end 1`},
		{"0 0 * * 7-1", `cron "0 0 * * 7-1": day-of-week field "7-1": range "7-1": start 7 is after end 1`},
		{"-5 * * * *", `cron "-5 * * * *": minute field "-5": range "-5" needs a start and an end`},
		{"5- * * * *", `cron "5- * * * *": minute field "5-": range "5-" needs a start and an end`},
		{"1-2-3 * * * *", `cron "1-2-3 * * * *": minute field "1-2-3": invalid value "2-3": want a number 0-59`},
		{"*-5 * * * *", `cron "*-5 * * * *": minute field "*-5": invalid value "*": want a number 0-59`},

		{"1,,2 * * * *", `cron "1,,2 * * * *": minute field "1,,2": empty list element`},
		{"1, * * * *", `cron "1, * * * *": minute field "1,": empty list element`},
		{",1 * * * *", `cron ",1 * * * *": minute field ",1": empty list element`},

		{"a * * * *", `cron "a * * * *": minute field "a": invalid value "a": want a number 0-59`},
		{"+5 * * * *", `cron "+5 * * * *": minute field "+5": invalid value "+5": want a number 0-59`},
		{"MON * * * *", `cron "MON * * * *": minute field "MON": invalid value "MON": want a number 0-59`},
		// croniter's extensions where they do not belong name the field that takes them.
		{"? * * * *", `cron "? * * * *": minute field "?": invalid value "?": want a number 0-59; ? (any) is only for day-of-month and day-of-week; write *`},
		{"0 ? * * *", `cron "0 ? * * *": hour field "?": invalid value "?": want a number 0-23; ? (any) is only for day-of-month and day-of-week; write *`},
		{"0 0 * ? *", `cron "0 0 * ? *": month field "?": invalid value "?": want a number 1-12 or a name JAN-DEC; ? (any) is only for day-of-month and day-of-week; write *`},
		{"L * * * *", `cron "L * * * *": minute field "L": invalid value "L": want a number 0-59; L is only for day-of-month (L, 29-L: up to the last day) and day-of-week (L5: the last Friday)`},
		{"0 0 * L *", `cron "0 0 * L *": month field "L": invalid value "L": want a number 1-12 or a name JAN-DEC; L is only for day-of-month (L, 29-L: up to the last day) and day-of-week (L5: the last Friday)`},
		{"0 0 L5 * *", `cron "0 0 L5 * *": day-of-month field "L5": invalid value "L5": want a number 1-31; L5 (the last Friday) and the like belong in day-of-week`},
		{"0 0 1#2 * *", `cron "0 0 1#2 * *": day-of-month field "1#2": invalid value "1#2": want a number 1-31; # is only for day-of-week: SAT#1 is the first Saturday of the month`},
		{"0 0 * * 15W", `cron "0 0 * * 15W": day-of-week field "15W": invalid value "15W": want a number 0-7 or a name SUN-SAT; W is only for day-of-month: 15W is the weekday nearest the 15th`},
		{"0 15W * * *", `cron "0 15W * * *": hour field "15W": invalid value "15W": want a number 0-23; W is only for day-of-month: 15W is the weekday nearest the 15th`},
		{"0 0 * * L", `cron "0 0 * * L": day-of-week field "L": L in day-of-week needs a weekday: L5 is the last Friday (L alone, the last day, belongs in day-of-month)`},
		{"0 0 * * 5L", `cron "0 0 * * 5L": day-of-week field "5L": invalid value "5L": croniter writes the last weekday as L5`},
		{"0 0 * * 1#6", `cron "0 0 * * 1#6": day-of-week field "1#6": "1#6": a month has 1 to 5 of each weekday, so # takes 1-5 (SAT#1 is the first Saturday, L6 the last)`},
		{"0 0 * * 1#0", `cron "0 0 * * 1#0": day-of-week field "1#0": "1#0": a month has 1 to 5 of each weekday, so # takes 1-5 (SAT#1 is the first Saturday, L6 the last)`},
		{"0 0 * * 1-5/2#1", `cron "0 0 * * 1-5/2#1": day-of-week field "1-5/2#1": "1-5/2#1": # takes a weekday or a range of them (MON-FRI#1), not a step`},
		{"0 0 * * LFRI", `cron "0 0 * * LFRI": day-of-week field "LFRI": invalid value "LFRI": croniter writes the last weekday with its number, L5`},
		{"0 0 * * 1,5#1", `cron "0 0 * * 1,5#1": day-of-week field "1,5#1": plain weekdays and # or L weekdays do not mix (croniter, Airflow's cron library, refuses it): list only # and L forms, e.g. 1#1,5#3,L5`},
		{"0 0 * * 6,6#1", `cron "0 0 * * 6,6#1": day-of-week field "6,6#1": plain weekdays and # or L weekdays do not mix (croniter, Airflow's cron library, refuses it): list only # and L forms, e.g. 1#1,5#3,L5`},
		{"0 0 ?,1 * *", `cron "0 0 ?,1 * *": day-of-month field "?,1": ? (any) stands alone in its field, as in croniter`},
		{"0 0 L * 1#1", `cron "0 0 L * 1#1": day-of-month "L" next to day-of-week "1#1": croniter, Airflow's cron library, ignores a day-of-month beside a # or L weekday (or fails): write * in day-of-month for the weekday alone`},
		{"0 0 15 * L5", `cron "0 0 15 * L5": day-of-month "15" next to day-of-week "L5": croniter, Airflow's cron library, ignores a day-of-month beside a # or L weekday (or fails): write * in day-of-month for the weekday alone`},
		{"0 0 * * FOO#1", `cron "0 0 * * FOO#1": day-of-week field "FOO#1": invalid value "FOO": want a number 0-7 or a name SUN-SAT`},
		{"0 0 * * L8", `cron "0 0 * * L8": day-of-week field "L8": value 8 out of range 0-7`},
		{"0 0 LW * *", `cron "0 0 LW * *": day-of-month field "LW": LW (the last weekday of the month) is not in croniter: use L for the last day or L5 for the last Friday`},
		{"0 0 1W,15 * *", `cron "0 0 1W,15 * *": day-of-month field "1W,15": W (the nearest weekday) takes a single day, not a list: write 15W alone`},
		{"0 0 32W * *", `cron "0 0 32W * *": day-of-month field "32W": value 32 out of range 1-31`},
		{"0 0 0-L * *", `cron "0 0 0-L * *": day-of-month field "0-L": value 0 out of range 1-31`},
		{"0 0 L-5 * *", `cron "0 0 L-5 * *": day-of-month field "L-5": invalid value "L": want a number 1-31`},
		{"0 0 1-L/0 * *", `cron "0 0 1-L/0 * *": day-of-month field "1-L/0": step "0" must be a positive integer`},
		{"0 0 30W 2 *", `cron "0 0 30W 2 *": never fires: day-of-month "30W" does not occur in month "2"`},
		{"0 0 * FOO *", `cron "0 0 * FOO *": month field "FOO": invalid value "FOO": want a number 1-12 or a name JAN-DEC`},
		{"0 0 * JAN-FOO *", `cron "0 0 * JAN-FOO *": month field "JAN-FOO": invalid value "FOO": want a number 1-12 or a name JAN-DEC`},
		{"0 0 * JANUARY *", `cron "0 0 * JANUARY *": month field "JANUARY": invalid value "JANUARY": want a number 1-12 or a name JAN-DEC`},
		{"0 0 * * MONDAY", `cron "0 0 * * MONDAY": day-of-week field "MONDAY": invalid value "MONDAY": want a number 0-7 or a name SUN-SAT`},
		{"0 0 * * MON-FOO", `cron "0 0 * * MON-FOO": day-of-week field "MON-FOO": invalid value "FOO": want a number 0-7 or a name SUN-SAT`},
		{"0 0 * * JAN", `cron "0 0 * * JAN": day-of-week field "JAN": invalid value "JAN": want a number 0-7 or a name SUN-SAT`},
		{"0 0 * * MON/x", `cron "0 0 * * MON/x": day-of-week field "MON/x": step "x" must be a positive integer`},
		{"0 0 * * ſun", `cron "0 0 * * ſun": day-of-week field "ſun": invalid value "ſun": want a number 0-7 or a name SUN-SAT`},

		{"0 0 30 2 *", `cron "0 0 30 2 *": never fires: day-of-month "30" does not occur in month "2"`},
		{"0 0 30,31 FEB *", `cron "0 0 30,31 FEB *": never fires: day-of-month "30,31" does not occur in month "FEB"`},
		{"0 0 31 4,6,9,11 *", `cron "0 0 31 4,6,9,11 *": never fires: day-of-month "31" does not occur in month "4,6,9,11"`},
		{"0 0 31 apr *", `cron "0 0 31 apr *": never fires: day-of-month "31" does not occur in month "apr"`},

		{"61 25 * * *", `cron "61 25 * * *": minute field "61": value 61 out of range 0-59; hour field "25": value 25 out of range 0-23`},
		{"x x x x x", `cron "x x x x x": minute field "x": invalid value "x": want a number 0-59; ` +
			`hour field "x": invalid value "x": want a number 0-23; ` +
			`day-of-month field "x": invalid value "x": want a number 1-31; ` +
			`month field "x": invalid value "x": want a number 1-12 or a name JAN-DEC; ` +
			`day-of-week field "x": invalid value "x": want a number 0-7 or a name SUN-SAT`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			e, err := Parse(tt.spec)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error %s", tt.spec, e, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got: %s\nwant: %s", tt.spec, err, tt.want)
			}
		})
	}
}

// These can look impossible but fire: February has a 29th, and a restricted weekday ORs in.
func TestParseAcceptsRareDates(t *testing.T) {
	for _, spec := range []string{"0 0 29 2 *", "0 0 30 2 MON", "0 0 31 2,3 *", "0 0 31 * *", "0 0 29-31 FEB-MAR *"} {
		t.Run(spec, func(t *testing.T) { mustParse(t, spec) })
	}
}

type timeCase struct {
	name string
	spec string
	zone string // "" is UTC
	from string // RFC 3339
	want string // RFC 3339
}

func (c timeCase) zoneName() string {
	if c.zone == "" {
		return "UTC"
	}
	return c.zone
}

var nextCases = []timeCase{
	// Field syntax.
	{"every minute", "* * * * *", "", "2024-01-01T10:20:30Z", "2024-01-01T10:21:00Z"},
	{"step", "*/15 * * * *", "", "2024-01-01T00:07:30Z", "2024-01-01T00:15:00Z"},
	{"step strictly after an exact fire", "*/15 * * * *", "", "2024-01-01T00:15:00Z", "2024-01-01T00:30:00Z"},
	{"a nanosecond after a fire", "*/15 * * * *", "", "2024-01-01T00:15:00.000000001Z", "2024-01-01T00:30:00Z"},
	{"a nanosecond before a fire", "*/15 * * * *", "", "2024-01-01T00:14:59.999999999Z", "2024-01-01T00:15:00Z"},
	{"step wraps the hour", "*/15 * * * *", "", "2024-01-01T00:45:00Z", "2024-01-01T01:00:00Z"},
	{"range with step", "10-30/10 * * * *", "", "2024-01-01T00:30:00Z", "2024-01-01T01:10:00Z"},
	{"start with step", "50/5 * * * *", "", "2024-01-01T00:51:00Z", "2024-01-01T00:55:00Z"},
	{"list", "1,5-6,*/20 * * * *", "", "2024-01-01T00:06:00Z", "2024-01-01T00:20:00Z"},
	{"hourly on the hour", "0 * * * *", "", "2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z"},
	{"hour range", "0 9-17 * * *", "", "2024-01-01T17:00:00Z", "2024-01-02T09:00:00Z"},
	{"daily at exact fire", "30 9 * * *", "", "2024-05-05T09:30:00Z", "2024-05-06T09:30:00Z"},
	{"daily just before", "30 9 * * *", "", "2024-05-05T09:29:59Z", "2024-05-05T09:30:00Z"},
	{"year rollover", "59 23 31 12 *", "", "2024-12-31T23:59:00Z", "2025-12-31T23:59:00Z"},
	{"month names", "0 0 1 JUN,DEC *", "", "2024-07-01T00:00:00Z", "2024-12-01T00:00:00Z"},
	{"month range by name", "0 0 1 mar-may *", "", "2024-05-01T00:00:00Z", "2025-03-01T00:00:00Z"},

	// Weekdays; 2024-05-08 is a Wednesday, 2024-05-10 a Friday, 2024-05-12 a Sunday.
	{"weekdays by name", "0 12 * * MON-FRI", "", "2024-05-10T12:00:00Z", "2024-05-13T12:00:00Z"},
	{"sunday as 0", "0 0 * * 0", "", "2024-05-08T00:00:00Z", "2024-05-12T00:00:00Z"},
	{"sunday as 7", "0 0 * * 7", "", "2024-05-08T00:00:00Z", "2024-05-12T00:00:00Z"},
	{"sunday by name", "0 0 * * sun", "", "2024-05-08T00:00:00Z", "2024-05-12T00:00:00Z"},
	{"range ending on 7", "0 0 * * 6-7", "", "2024-05-08T00:00:00Z", "2024-05-11T00:00:00Z"},
	{"FRI-SUN reaches sunday", "0 0 * * FRI-SUN", "", "2024-05-11T00:00:00Z", "2024-05-12T00:00:00Z"},

	// Month ends and leap years.
	{"1st after a 31-day month", "0 0 1 * *", "", "2024-01-31T00:00:00Z", "2024-02-01T00:00:00Z"},
	{"31st skips february", "0 0 31 * *", "", "2024-01-31T00:00:00Z", "2024-03-31T00:00:00Z"},
	{"31st skips april", "0 0 31 * *", "", "2024-03-31T00:00:00Z", "2024-05-31T00:00:00Z"},
	{"31st skips june, september", "0 0 31 * *", "", "2024-08-31T00:00:00Z", "2024-10-31T00:00:00Z"},
	{"30th skips february", "0 0 30 * *", "", "2024-01-30T00:00:00Z", "2024-03-30T00:00:00Z"},
	{"29th in a leap february", "0 0 29 * *", "", "2024-01-29T00:00:00Z", "2024-02-29T00:00:00Z"},
	{"29th skips a common february", "0 0 29 * *", "", "2023-01-29T00:00:00Z", "2023-03-29T00:00:00Z"},
	{"29 february from 2023", "0 0 29 2 *", "", "2023-01-01T00:00:00Z", "2024-02-29T00:00:00Z"},
	{"29 february from 2024-03-01", "0 0 29 2 *", "", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
	{"29 february skips 2100", "0 0 29 2 *", "", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z"},
	{"29 february in 2000", "0 0 29 2 *", "", "1997-01-01T00:00:00Z", "2000-02-29T00:00:00Z"},
	{"31 december, last minute", "59 23 31 12 *", "", "2024-06-01T00:00:00Z", "2024-12-31T23:59:00Z"},

	// Day-of-month OR day-of-week when both are restricted (2024-09-01 is a Sunday).
	{"OR: friday first", "0 0 13 * FRI", "", "2024-09-01T00:00:00Z", "2024-09-06T00:00:00Z"},
	{"OR: friday the 13th", "0 0 13 * FRI", "", "2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z"},
	{"OR: next friday", "0 0 13 * FRI", "", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z"},
	{"OR: the 13th on a sunday", "0 0 13 * FRI", "", "2024-10-11T00:00:00Z", "2024-10-13T00:00:00Z"},
	{"OR: odd days or friday", "0 0 */2 * FRI", "", "2024-10-01T00:00:00Z", "2024-10-03T00:00:00Z"},
	{"OR: odd days or friday, the friday", "0 0 */2 * FRI", "", "2024-10-03T00:00:00Z", "2024-10-04T00:00:00Z"},
	{"OR: 1st or monday", "0 0 1 * MON", "", "2024-09-28T00:00:00Z", "2024-09-30T00:00:00Z"},
	{"OR: 1st or monday, the 1st", "0 0 1 * MON", "", "2024-09-30T00:00:00Z", "2024-10-01T00:00:00Z"},
	{"OR reaches 30 february's weekday", "0 0 30 2 MON", "", "2024-02-01T00:00:00Z", "2024-02-05T00:00:00Z"},
	{"AND: dom only", "0 0 13 * *", "", "2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z"},
	{"AND: dow only", "0 0 * * FRI", "", "2024-10-01T00:00:00Z", "2024-10-04T00:00:00Z"},
	{"AND: 1-31 is unrestricted", "0 0 1-31 * FRI", "", "2024-10-01T00:00:00Z", "2024-10-04T00:00:00Z"},
	{"AND: 0-7 is unrestricted", "0 0 13 * 0-7", "", "2024-09-14T00:00:00Z", "2024-10-13T00:00:00Z"},
	{"AND with month", "0 0 * FEB MON", "", "2024-02-26T00:00:00Z", "2025-02-03T00:00:00Z"},

	// Presets.
	{"@hourly", "@hourly", "", "2024-01-01T10:20:00Z", "2024-01-01T11:00:00Z"},
	{"@daily", "@daily", "", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"},
	{"@midnight", "@midnight", "", "2024-01-01T23:59:59Z", "2024-01-02T00:00:00Z"},
	{"@weekly", "@weekly", "", "2024-05-08T10:00:00Z", "2024-05-12T00:00:00Z"},
	{"@monthly", "@monthly", "", "2024-01-15T00:00:00Z", "2024-02-01T00:00:00Z"},
	{"@quarterly", "@quarterly", "", "2024-02-10T00:00:00Z", "2024-04-01T00:00:00Z"},
	{"@quarterly year end", "@quarterly", "", "2024-10-01T00:00:00Z", "2025-01-01T00:00:00Z"},
	{"@yearly", "@yearly", "", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"},
	{"@annually", "@annually", "", "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z"},

	// Evaluated in the zone of t, returned in it.
	{"daily in Seoul", "0 9 * * *", "Asia/Seoul", "2024-01-01T09:00:00+09:00", "2024-01-02T09:00:00+09:00"},
	{"daily in Kolkata", "0 0 * * *", "Asia/Kolkata", "2024-01-01T12:00:00Z", "2024-01-02T00:00:00+05:30"},
	{"weekday across the date line", "0 1 * * MON", "Pacific/Auckland", "2024-05-12T12:00:00Z", "2024-05-13T01:00:00+12:00"},
	{"before 1970", "0 0 29 2 *", "", "1899-01-01T00:00:00Z", "1904-02-29T00:00:00Z"},
	{"far future", "0 0 1 1 *", "", "9998-06-01T00:00:00Z", "9999-01-01T00:00:00Z"},
}

var prevCases = []timeCase{
	{"exact fire is included", "*/15 * * * *", "", "2024-01-01T00:15:00Z", "2024-01-01T00:15:00Z"},
	{"just after a fire", "*/15 * * * *", "", "2024-01-01T00:15:00.5Z", "2024-01-01T00:15:00Z"},
	{"just before a fire", "*/15 * * * *", "", "2024-01-01T00:14:59.999999999Z", "2024-01-01T00:00:00Z"},
	{"hour wrap", "45 * * * *", "", "2024-01-01T10:44:00Z", "2024-01-01T09:45:00Z"},
	{"day wrap", "0 9-17 * * *", "", "2024-01-02T08:59:00Z", "2024-01-01T17:00:00Z"},
	{"year wrap", "59 23 31 12 *", "", "2025-06-01T00:00:00Z", "2024-12-31T23:59:00Z"},
	{"31st skips april back", "0 0 31 * *", "", "2024-05-01T00:00:00Z", "2024-03-31T00:00:00Z"},
	{"31st skips february back", "0 0 31 * *", "", "2024-03-30T00:00:00Z", "2024-01-31T00:00:00Z"},
	{"29 february back", "0 0 29 2 *", "", "2028-02-28T23:59:59Z", "2024-02-29T00:00:00Z"},
	{"29 february back over 2100", "0 0 29 2 *", "", "2104-01-01T00:00:00Z", "2096-02-29T00:00:00Z"},
	{"weekdays back", "0 12 * * MON-FRI", "", "2024-05-13T11:59:00Z", "2024-05-10T12:00:00Z"},
	{"sunday as 7 back", "0 0 * * 7", "", "2024-05-11T00:00:00Z", "2024-05-05T00:00:00Z"},
	{"OR back", "0 0 13 * FRI", "", "2024-10-12T00:00:00Z", "2024-10-11T00:00:00Z"},
	{"OR back to the 13th", "0 0 13 * FRI", "", "2024-10-17T00:00:00Z", "2024-10-13T00:00:00Z"},
	{"@quarterly back", "@quarterly", "", "2024-03-31T23:59:00Z", "2024-01-01T00:00:00Z"},
	{"@weekly back", "@weekly", "", "2024-05-12T00:00:00Z", "2024-05-12T00:00:00Z"},
	{"@daily back", "@daily", "", "2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00Z"},
	{"@monthly back", "@monthly", "", "2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z"},
	{"@yearly back", "@yearly", "", "2024-12-31T23:59:59Z", "2024-01-01T00:00:00Z"},
	{"daily in Seoul back", "0 9 * * *", "Asia/Seoul", "2024-01-02T08:59:00+09:00", "2024-01-01T09:00:00+09:00"},
}

// dstCases are the daylight-saving cases. America/New_York: 2024-03-10 02:00 EST → 03:00 EDT,
// 2024-11-03 02:00 EDT → 01:00 EST. Europe/Berlin: 2024-03-31 02:00 CET → 03:00 CEST, 2024-10-27
// 03:00 CEST → 02:00 CET. America/Sao_Paulo: 2018-11-04 00:00 → 01:00 (midnight is skipped).
var dstNextCases = []timeCase{
	// A wall time that does not exist runs once, at the next valid instant.
	{"NY spring: 02:30 runs at 03:00", "30 2 * * *", "America/New_York", "2024-03-09T12:00:00-05:00", "2024-03-10T03:00:00-04:00"},
	{"NY spring: from 01:59", "30 2 * * *", "America/New_York", "2024-03-10T01:59:00-05:00", "2024-03-10T03:00:00-04:00"},
	{"NY spring: once", "30 2 * * *", "America/New_York", "2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"},
	{"NY spring: many missing times run once", "*/20 2 * * *", "America/New_York", "2024-03-09T12:00:00-05:00", "2024-03-10T03:00:00-04:00"},
	{"NY spring: many missing times, once", "*/20 2 * * *", "America/New_York", "2024-03-10T03:00:00-04:00", "2024-03-11T02:00:00-04:00"},
	{"NY spring: missing 02:00 and real 03:00 are one run", "0 2,3 * * *", "America/New_York", "2024-03-10T03:00:00-04:00", "2024-03-11T02:00:00-04:00"},
	{"NY spring: 03:30 unaffected", "30 3 * * *", "America/New_York", "2024-03-09T12:00:00-05:00", "2024-03-10T03:30:00-04:00"},
	{"NY spring: midnight unaffected", "0 0 * * *", "America/New_York", "2024-03-09T12:00:00-05:00", "2024-03-10T00:00:00-05:00"},
	{"NY spring: far future (rule-based zone)", "30 2 * * *", "America/New_York", "2050-03-12T12:00:00-05:00", "2050-03-13T03:00:00-04:00"},

	// A wall time that occurs twice runs once, at its second occurrence (Airflow's CronMixin
	// makes the naive time aware with fold=1).
	{"NY fall: 01:30 at its second occurrence", "30 1 * * *", "America/New_York", "2024-11-02T12:00:00-04:00", "2024-11-03T01:30:00-05:00"},
	{"NY fall: not in the first pass", "30 1 * * *", "America/New_York", "2024-11-03T01:30:00-04:00", "2024-11-03T01:30:00-05:00"},
	{"NY fall: once", "30 1 * * *", "America/New_York", "2024-11-03T01:30:00-05:00", "2024-11-04T01:30:00-05:00"},
	{"NY fall: from inside the repeat", "30 1 * * *", "America/New_York", "2024-11-03T01:10:00-05:00", "2024-11-03T01:30:00-05:00"},
	{"NY fall: first pass, after the time", "30 1 * * *", "America/New_York", "2024-11-03T01:45:00-04:00", "2024-11-03T01:30:00-05:00"},
	{"NY fall: two hours", "0 1,2 * * *", "America/New_York", "2024-11-03T01:00:00-04:00", "2024-11-03T01:00:00-05:00"},
	{"NY fall: two hours, then 02:00", "0 1,2 * * *", "America/New_York", "2024-11-03T01:00:00-05:00", "2024-11-03T02:00:00-05:00"},
	{"NY fall: every two hours", "0 */2 * * *", "America/New_York", "2024-11-03T00:00:00-04:00", "2024-11-03T02:00:00-05:00"},
	{"NY: across the end of 2040 (Go's zone spans past the tzdata table)", "0 0 29 2 *", "America/New_York", "2040-03-01T00:00:00-05:00", "2044-02-29T00:00:00-05:00"},
	{"NY fall: far future", "30 1 * * *", "America/New_York", "2050-11-06T01:30:00-04:00", "2050-11-06T01:30:00-05:00"},

	{"Berlin spring: 02:30 runs at 03:00", "30 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00+01:00", "2024-03-31T03:00:00+02:00"},
	{"Berlin spring: once", "30 2 * * *", "Europe/Berlin", "2024-03-31T03:00:00+02:00", "2024-04-01T02:30:00+02:00"},
	{"Berlin fall: 02:30 at its second occurrence", "30 2 * * *", "Europe/Berlin", "2024-10-26T12:00:00+02:00", "2024-10-27T02:30:00+01:00"},
	{"Berlin fall: once", "30 2 * * *", "Europe/Berlin", "2024-10-27T02:30:00+01:00", "2024-10-28T02:30:00+01:00"},
	{"Berlin fall: from inside the repeat", "30 2 * * *", "Europe/Berlin", "2024-10-27T02:10:00+01:00", "2024-10-27T02:30:00+01:00"},
	// Europe/Zurich: 2024-10-27 03:00 CEST → 02:00 CET.
	{"Zurich fall: 02:30 at its second occurrence", "30 2 * * *", "Europe/Zurich", "2024-10-26T12:00:00+02:00", "2024-10-27T02:30:00+01:00"},
	{"Zurich fall: from the first pass", "30 2 * * *", "Europe/Zurich", "2024-10-27T02:45:00+02:00", "2024-10-27T02:30:00+01:00"},
	{"Zurich fall: 03:00 once", "0 3 * * *", "Europe/Zurich", "2024-10-27T02:30:00+01:00", "2024-10-27T03:00:00+01:00"},
	{"Zurich fall: * hours, both 02:15", "15 * * * *", "Europe/Zurich", "2024-10-27T02:15:00+02:00", "2024-10-27T02:15:00+01:00"},

	{"Sao Paulo: skipped midnight runs at 01:00", "@daily", "America/Sao_Paulo", "2018-11-03T12:00:00-03:00", "2018-11-04T01:00:00-02:00"},
	{"Sao Paulo: then midnight again", "@daily", "America/Sao_Paulo", "2018-11-04T01:00:00-02:00", "2018-11-05T00:00:00-02:00"},
	{"Lord Howe: half-hour gap", "15 2 * * *", "Australia/Lord_Howe", "2024-10-05T12:00:00+10:30", "2024-10-06T02:30:00+11:00"},

	// Fixed schedules fire at every real instant whose wall clock matches.
	{"NY hourly fall: first 01:00", "0 * * * *", "America/New_York", "2024-11-03T00:00:00-04:00", "2024-11-03T01:00:00-04:00"},
	{"NY hourly fall: second 01:00", "0 * * * *", "America/New_York", "2024-11-03T01:00:00-04:00", "2024-11-03T01:00:00-05:00"},
	{"NY hourly fall: 02:00", "0 * * * *", "America/New_York", "2024-11-03T01:00:00-05:00", "2024-11-03T02:00:00-05:00"},
	{"NY hourly spring: 01:00 to 03:00 is one hour", "0 * * * *", "America/New_York", "2024-03-10T01:00:00-05:00", "2024-03-10T03:00:00-04:00"},
	{"NY half-hourly spring", "30 * * * *", "America/New_York", "2024-03-10T01:30:00-05:00", "2024-03-10T03:30:00-04:00"},
	{"NY quarter-hourly fall", "*/15 * * * *", "America/New_York", "2024-11-03T01:45:00-04:00", "2024-11-03T01:00:00-05:00"},
	{"Berlin hourly fall: second 02:00", "0 * * * *", "Europe/Berlin", "2024-10-27T02:00:00+02:00", "2024-10-27T02:00:00+01:00"},
	{"Berlin hourly spring", "0 * * * *", "Europe/Berlin", "2024-03-31T01:00:00+01:00", "2024-03-31T03:00:00+02:00"},
}

var dstPrevCases = []timeCase{
	{"NY spring: the moved run", "30 2 * * *", "America/New_York", "2024-03-10T03:00:00-04:00", "2024-03-10T03:00:00-04:00"},
	{"NY spring: later that day", "30 2 * * *", "America/New_York", "2024-03-10T12:00:00-04:00", "2024-03-10T03:00:00-04:00"},
	{"NY spring: just before the gap", "30 2 * * *", "America/New_York", "2024-03-10T01:59:59-05:00", "2024-03-09T02:30:00-05:00"},
	{"NY fall: in the repeat, the second occurrence", "30 1 * * *", "America/New_York", "2024-11-03T01:45:00-05:00", "2024-11-03T01:30:00-05:00"},
	{"NY fall: at the second 01:30", "30 1 * * *", "America/New_York", "2024-11-03T01:30:00-05:00", "2024-11-03T01:30:00-05:00"},
	{"NY fall: in the first pass, the day before", "30 1 * * *", "America/New_York", "2024-11-03T01:45:00-04:00", "2024-11-02T01:30:00-04:00"},
	{"NY fall: the day after", "30 1 * * *", "America/New_York", "2024-11-04T01:29:00-05:00", "2024-11-03T01:30:00-05:00"},
	{"Berlin spring: the moved run", "30 2 * * *", "Europe/Berlin", "2024-03-31T12:00:00+02:00", "2024-03-31T03:00:00+02:00"},
	{"Berlin fall: in the repeat", "30 2 * * *", "Europe/Berlin", "2024-10-27T02:45:00+01:00", "2024-10-27T02:30:00+01:00"},
	{"Zurich fall: in the first pass", "30 2 * * *", "Europe/Zurich", "2024-10-27T02:45:00+02:00", "2024-10-26T02:30:00+02:00"},
	{"Zurich fall: after the repeat", "30 2 * * *", "Europe/Zurich", "2024-10-27T12:00:00+01:00", "2024-10-27T02:30:00+01:00"},
	{"Sao Paulo: skipped midnight", "@daily", "America/Sao_Paulo", "2018-11-04T12:00:00-02:00", "2018-11-04T01:00:00-02:00"},
	{"NY hourly fall: second 01:00", "0 * * * *", "America/New_York", "2024-11-03T01:30:00-05:00", "2024-11-03T01:00:00-05:00"},
	{"NY hourly fall: first 01:00", "0 * * * *", "America/New_York", "2024-11-03T01:59:00-04:00", "2024-11-03T01:00:00-04:00"},
	{"NY hourly spring", "0 * * * *", "America/New_York", "2024-03-10T03:59:00-04:00", "2024-03-10T03:00:00-04:00"},
	{"NY hourly spring, before", "0 * * * *", "America/New_York", "2024-03-10T03:00:00-04:00", "2024-03-10T03:00:00-04:00"},
	{"NY hourly spring, the hour before", "0 * * * *", "America/New_York", "2024-03-10T01:59:00-05:00", "2024-03-10T01:00:00-05:00"},
}

func TestNext(t *testing.T) {
	for _, tt := range append(append([]timeCase{}, nextCases...), dstNextCases...) {
		t.Run(tt.name, func(t *testing.T) {
			e := mustParse(t, tt.spec)
			from, want := at(t, tt.from, tt.zoneName()), at(t, tt.want, tt.zoneName())
			got := e.Next(from)
			if !got.Equal(want) {
				t.Fatalf("Next(%s) = %s, want %s", from, got, want)
			}
			if got.Location() != from.Location() {
				t.Errorf("Next returned location %s, want %s", got.Location(), from.Location())
			}
			// Symmetry: the fire time is its own Prev, and nothing fires in between.
			if p := e.Prev(got); !p.Equal(got) {
				t.Errorf("Prev(Next) = %s, want %s", p, got)
			}
			if p, q := e.Prev(from), e.Prev(got.Add(-time.Nanosecond)); !p.Equal(q) {
				t.Errorf("Prev(from) = %s but Prev(Next-1ns) = %s: a fire time in between", p, q)
			}
			if n := e.Next(got); !n.After(got) {
				t.Errorf("Next(Next) = %s, not after %s", n, got)
			}
		})
	}
}

func TestPrev(t *testing.T) {
	for _, tt := range append(append([]timeCase{}, prevCases...), dstPrevCases...) {
		t.Run(tt.name, func(t *testing.T) {
			e := mustParse(t, tt.spec)
			from, want := at(t, tt.from, tt.zoneName()), at(t, tt.want, tt.zoneName())
			got := e.Prev(from)
			if !got.Equal(want) {
				t.Fatalf("Prev(%s) = %s, want %s", from, got, want)
			}
			if got.Location() != from.Location() {
				t.Errorf("Prev returned location %s, want %s", got.Location(), from.Location())
			}
			// Symmetry: the next fire after Prev(t) is after t.
			if n := e.Next(got); !n.After(from) {
				t.Errorf("Next(Prev(t)) = %s, not after t = %s", n, from)
			}
			if n, m := e.Next(got), e.Next(from); !n.Equal(m) {
				t.Errorf("Next(Prev(t)) = %s, Next(t) = %s", n, m)
			}
		})
	}
}

// TestSequenceAcrossDST lists consecutive fire times, checking that nothing is skipped or doubled.
func TestSequenceAcrossDST(t *testing.T) {
	tests := []struct {
		name, spec, zone, from string
		want                   []string
	}{
		{"NY hourly fall: every real hour", "0 * * * *", "America/New_York", "2024-11-02T23:30:00-04:00", []string{
			"2024-11-03T04:00:00Z", "2024-11-03T05:00:00Z", "2024-11-03T06:00:00Z", "2024-11-03T07:00:00Z", "2024-11-03T08:00:00Z",
		}},
		{"NY hourly spring: every real hour", "0 * * * *", "America/New_York", "2024-03-09T23:30:00-05:00", []string{
			"2024-03-10T05:00:00Z", "2024-03-10T06:00:00Z", "2024-03-10T07:00:00Z", "2024-03-10T08:00:00Z",
		}},
		{"Berlin hourly fall: every real hour", "@hourly", "Europe/Berlin", "2024-10-26T23:30:00+02:00", []string{
			"2024-10-26T22:00:00Z", "2024-10-26T23:00:00Z", "2024-10-27T00:00:00Z", "2024-10-27T01:00:00Z", "2024-10-27T02:00:00Z",
		}},
		{"Berlin hourly spring: every real hour", "@hourly", "Europe/Berlin", "2024-03-30T23:30:00+01:00", []string{
			"2024-03-30T23:00:00Z", "2024-03-31T00:00:00Z", "2024-03-31T01:00:00Z", "2024-03-31T02:00:00Z",
		}},
		{"NY half-hourly fall: every real half hour", "*/30 * * * *", "America/New_York", "2024-11-03T00:50:00-04:00", []string{
			"2024-11-03T05:00:00Z", "2024-11-03T05:30:00Z", "2024-11-03T06:00:00Z", "2024-11-03T06:30:00Z", "2024-11-03T07:00:00Z",
		}},
		{"NY daily 02:30 spring", "30 2 * * *", "America/New_York", "2024-03-08T12:00:00-05:00", []string{
			"2024-03-09T02:30:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00",
		}},
		{"NY daily 01:30 fall", "30 1 * * *", "America/New_York", "2024-11-01T12:00:00-04:00", []string{
			"2024-11-02T01:30:00-04:00", "2024-11-03T01:30:00-05:00", "2024-11-04T01:30:00-05:00",
		}},
		{"NY every 20 minutes in hour 1, fall", "*/20 1 * * *", "America/New_York", "2024-11-03T00:00:00-04:00", []string{
			"2024-11-03T01:00:00-05:00", "2024-11-03T01:20:00-05:00", "2024-11-03T01:40:00-05:00", "2024-11-04T01:00:00-05:00",
		}},
		{"NY every 20 minutes, * hours, fall: both passes", "*/20 * * * *", "America/New_York", "2024-11-03T00:50:00-04:00", []string{
			"2024-11-03T01:00:00-04:00", "2024-11-03T01:20:00-04:00", "2024-11-03T01:40:00-04:00",
			"2024-11-03T01:00:00-05:00", "2024-11-03T01:20:00-05:00", "2024-11-03T01:40:00-05:00", "2024-11-03T02:00:00-05:00",
		}},
		{"Zurich daily 02:30 fall", "30 2 * * *", "Europe/Zurich", "2024-10-25T12:00:00+02:00", []string{
			"2024-10-26T02:30:00+02:00", "2024-10-27T02:30:00+01:00", "2024-10-28T02:30:00+01:00",
		}},
		{"Zurich 02:00 and 02:30 fall", "0,30 2 * * *", "Europe/Zurich", "2024-10-27T00:00:00+02:00", []string{
			"2024-10-27T02:00:00+01:00", "2024-10-27T02:30:00+01:00", "2024-10-28T02:00:00+01:00",
		}},
		{"Zurich hourly at :15, * hours, fall: both passes", "15 * * * *", "Europe/Zurich", "2024-10-27T01:00:00+02:00", []string{
			"2024-10-27T01:15:00+02:00", "2024-10-27T02:15:00+02:00", "2024-10-27T02:15:00+01:00", "2024-10-27T03:15:00+01:00",
		}},
		{"Zurich every 30 minutes, * hours, spring", "*/30 * * * *", "Europe/Zurich", "2024-03-31T01:15:00+01:00", []string{
			"2024-03-31T01:30:00+01:00", "2024-03-31T03:00:00+02:00", "2024-03-31T03:30:00+02:00",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustParse(t, tt.spec)
			cur := at(t, tt.from, tt.zone)
			var got, want []string
			for _, w := range tt.want {
				cur = e.Next(cur)
				got = append(got, cur.UTC().Format(time.RFC3339))
				want = append(want, at(t, w, "UTC").Format(time.RFC3339))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("fire times (UTC)\n got: %v\nwant: %v", got, want)
			}
			// And backwards from the last one.
			var back []string
			for range tt.want {
				p := e.Prev(cur)
				back = append([]string{p.UTC().Format(time.RFC3339)}, back...)
				cur = p.Add(-time.Second)
			}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("Prev walk (UTC)\n got: %v\nwant: %v", back, want)
			}
		})
	}
}

func TestNilAndZeroExpr(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, e := range map[string]*Expr{"nil": nil, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			if got := e.Next(now); !got.IsZero() {
				t.Errorf("Next = %s, want zero", got)
			}
			if got := e.Prev(now); !got.IsZero() {
				t.Errorf("Prev = %s, want zero", got)
			}
		})
	}
}

func TestAbsurdTimes(t *testing.T) {
	e := mustParse(t, "@daily")
	for _, tm := range []time.Time{
		time.Unix(1<<62, 0), time.Unix(-1<<62, 0), time.Date(3_000_000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got := e.Next(tm); !got.IsZero() {
			t.Errorf("Next(%s) = %s, want zero", tm, got)
		}
		if got := e.Prev(tm); !got.IsZero() {
			t.Errorf("Prev(%s) = %s, want zero", tm, got)
		}
	}
	if got := e.Next(time.Time{}); !got.Equal(time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Next(zero time) = %s", got)
	}
}

func TestCivil(t *testing.T) {
	for days := int64(-800_000); days <= 800_000; days += 997 {
		want := time.Unix(days*secsPerDay, 0).UTC()
		y, m, d := civil(days)
		if y != int64(want.Year()) || m != int(want.Month()) || d != want.Day() {
			t.Fatalf("civil(%d) = %d-%d-%d, want %s", days, y, m, d, want)
		}
		if got := daysFromCivil(y, m, d); got != days {
			t.Fatalf("daysFromCivil(%d, %d, %d) = %d, want %d", y, m, d, got, days)
		}
		if wd := weekday(y, m, d); wd != int(want.Weekday()) {
			t.Fatalf("weekday(%s) = %d, want %d", want, wd, want.Weekday())
		}
	}
}

func BenchmarkNext(b *testing.B) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	for _, spec := range []string{"*/15 * * * *", "30 2 * * *", "0 0 29 2 *", "0 0 13 * FRI"} {
		e, err := Parse(spec)
		if err != nil {
			b.Fatal(err)
		}
		from := time.Date(2097, 3, 1, 0, 0, 0, 0, ny)
		b.Run(spec, func(b *testing.B) {
			for b.Loop() {
				e.Next(from)
			}
		})
	}
}
