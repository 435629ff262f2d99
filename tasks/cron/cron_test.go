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
