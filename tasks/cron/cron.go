package cron

import (
	"errors"
	"fmt"
	"strings"
)

// Expr is a parsed cron expression. It is immutable and safe for concurrent use.
type Expr struct {
	spec string // normalized text, see String

	// One bit per allowed value: minute 0-59, hour 0-23, dom 1-31, month 1-12, dow 0-6 (0 = Sunday).
	minute, hour, dom, month, dow uint64

	// croniter's day extensions: domLast is L in day-of-month (the month's last day), domNear
	// the days given as nW (the weekday nearest the nth), dowNth the weekdays given as w#n or
	// Lw: bit n-1 for the nth (1-5) of that weekday in the month, bit lastNth for the last.
	domLast bool
	domNear uint64
	dowNth  [7]uint8

	// domAll and dowAll report that the field allows every value, which turns the day rule from
	// "dom OR dow" into "dom AND dow" (croniter decides on the expanded set, not the text).
	domAll, dowAll bool
}

// lastNth is the bit of dowNth for "the last such weekday of the month" (Lw).
const lastNth = 5

const (
	allMinutes = 1<<60 - 1
	allHours   = 1<<24 - 1
	allDoms    = (1<<32 - 1) &^ 1 // 1-31
	allMonths  = (1<<13 - 1) &^ 1 // 1-12
	allDows    = 1<<7 - 1         // 0-6
)

// field describes one of the five positions.
type field struct {
	name     string
	min, max int            // the values accepted in the text; day-of-week accepts 7 for Sunday
	names    map[string]int // upper-case three-letter names, if any
	nameHint string         // shown when a name is unknown
	weekday  bool           // day-of-week: a range may end on Sunday as 0
	day      bool           // day-of-month or day-of-week: accepts ? and croniter's extensions
}

var fields = [5]field{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31, day: true},
	{name: "month", min: 1, max: 12, nameHint: "JAN-DEC", names: map[string]int{
		"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
		"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
	}},
	{name: "day-of-week", min: 0, max: 7, weekday: true, day: true, nameHint: "SUN-SAT", names: map[string]int{
		"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6,
	}},
}

// presets are Airflow's cron_presets (plus @annually and @midnight, which croniter users expect).
var presets = map[string]string{
	"@yearly":    "0 0 1 1 *",
	"@annually":  "0 0 1 1 *",
	"@quarterly": "0 0 1 */3 *",
	"@monthly":   "0 0 1 * *",
	"@weekly":    "0 0 * * 0",
	"@daily":     "0 0 * * *",
	"@midnight":  "0 0 * * *",
	"@hourly":    "0 * * * *",
}

const presetList = "@yearly, @annually, @quarterly, @monthly, @weekly, @daily, @midnight, @hourly"

// maxDays is the longest each month can be (February in a leap year).
var maxDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// Parse parses a 5-field cron expression (minute hour day-of-month month day-of-week) or a
// preset: @yearly @annually @monthly @weekly @daily @midnight @hourly, plus @quarterly (0 0 1 */3 *).
//
// Fields are separated by white space. Each field is a comma-separated list of elements; an
// element is *, a value, a range a-b, or one of those followed by /step; a/step means a-max/step.
// Months accept JAN-DEC and weekdays SUN-SAT, in any case, also in ranges (MON-FRI). Day-of-week
// accepts 0-7, where 0 and 7 are both Sunday, and a range may end on Sunday as 0 (FRI-SUN).
// Presets are matched case-insensitively.
//
// The day fields also take croniter's extensions, in any case, as Airflow accepts them: ? (any,
// like *); in day-of-month L (the last day), a-L and a-L/step (up to the last day: 29-L, 1-L/8)
// and nW or Wn alone in the field (the weekday nearest the nth, Saturday to Friday, Sunday to
// Monday, never into another month; nothing in a month without an nth); in day-of-week w#n
// (the nth weekday w of the month, n 1-5: SAT#1, 1#4, MON-FRI#1, and WED#5 fires only in
// months with a fifth Wednesday) and Lw (the last weekday w: L5 is the last Friday), also in
// lists (L2,L4, L6,6#1). As in croniter, ? stands alone, # and L weekdays do not mix with plain
// ones, and they need * (or ?) in day-of-month: croniter would ignore the day-of-month.
//
// The error names the expression, the field and the problem; every bad field is reported. An
// expression that can never fire (only a 30th of February) is an error.
func Parse(spec string) (*Expr, error) {
	s := strings.TrimSpace(spec)
	if strings.HasPrefix(s, "@") {
		name := asciiLower(s)
		text, ok := presets[name]
		if !ok {
			return nil, fmt.Errorf("cron %q: unknown preset %q, want one of %s", spec, s, presetList)
		}
		e, err := parseFields(strings.Fields(text))
		if err != nil { // unreachable: the presets are valid
			return nil, fmt.Errorf("cron %q: %v", spec, err)
		}
		e.spec = name
		return e, nil
	}
	parts := strings.Fields(s)
	if len(parts) != 5 {
		noun := "fields"
		if len(parts) == 1 {
			noun = "field"
		}
		return nil, fmt.Errorf("cron %q: got %d %s, want 5 (minute hour day-of-month month day-of-week) or a preset (%s)",
			spec, len(parts), noun, presetList)
	}
	e, err := parseFields(parts)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %v", spec, err)
	}
	return e, nil
}

// parseFields builds an Expr from exactly five fields, reporting every bad field.
func parseFields(parts []string) (*Expr, error) {
	var sets [5]fieldSet
	var problems []string
	for i, text := range parts {
		fs, err := parseField(text, fields[i])
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s field %q: %v", fields[i].name, text, err))
			continue
		}
		sets[i] = fs
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	dow := sets[4].mask
	if dow&(1<<7) != 0 { // 7 is Sunday too
		dow = dow&^(1<<7) | 1
	}
	nth := sets[4].nth
	nth[0] |= nth[7]
	e := &Expr{
		minute:  sets[0].mask,
		hour:    sets[1].mask,
		dom:     sets[2].mask,
		month:   sets[3].mask,
		dow:     dow,
		domLast: sets[2].last,
		domNear: sets[2].near,
		domAll:  sets[2].mask == allDoms,
		dowAll:  dow == allDows,
	}
	copy(e.dowNth[:], nth[:7])
	if e.dowNth != [7]uint8{} && !e.domAll {
		// croniter matches such a day-of-month AND the nth weekday in one of its two passes,
		// the nth weekday alone in the other: the day-of-month never counts, and where the AND
		// finds nothing in 50 years Airflow fails. Refused rather than read another way.
		return nil, fmt.Errorf("day-of-month %q next to day-of-week %q: croniter, Airflow's cron library, ignores a day-of-month beside a # or L weekday (or fails): write * in day-of-month for the weekday alone", parts[2], parts[4])
	}
	if err := e.checkFires(parts); err != nil {
		return nil, err
	}
	upper := make([]string, len(parts))
	for i, p := range parts {
		upper[i] = asciiUpper(p)
	}
	e.spec = strings.Join(upper, " ")
	return e, nil
}

// checkFires rejects day-of-month/month combinations that name no real date. Only a restricted
// day-of-month with an unrestricted day-of-week can do that: with both restricted the weekday
// alone matches some days of every month, and every month has a last day (L). February counts
// as 29 days, so "0 0 29 2 *" is accepted and fires in leap years. Airflow's croniter would
// accept "0 0 30 2 *" and the DAG would never run; a typo like that is better refused.
func (e *Expr) checkFires(parts []string) error {
	if e.domAll || !e.dowAll || e.domLast {
		return nil
	}
	for m := 1; m <= 12; m++ {
		if e.month&(1<<m) == 0 {
			continue
		}
		if (e.dom|e.domNear)&(1<<(maxDays[m]+1)-1) != 0 {
			return nil
		}
	}
	return fmt.Errorf("never fires: day-of-month %q does not occur in month %q", parts[2], parts[3])
}

// fieldSet is one parsed field: the plain values as a bit set and, in the day fields,
// croniter's extensions (see Expr).
type fieldSet struct {
	mask uint64
	last bool     // day-of-month L
	near uint64   // day-of-month nW
	nth  [8]uint8 // day-of-week w#n and Lw, indexed by weekday 0-7 (7 is folded into 0)
}

// parseField expands one field. A W day must stand alone, as croniter requires.
func parseField(text string, f field) (fieldSet, error) {
	var fs fieldSet
	elems := strings.Split(text, ",")
	for _, elem := range elems {
		if err := parseElem(elem, f, &fs); err != nil {
			return fieldSet{}, err
		}
	}
	if fs.near != 0 && len(elems) > 1 {
		//lint:ignore ST1005 W is the cron syntax the message is about
		return fieldSet{}, errors.New("W (the nearest weekday) takes a single day, not a list: write 15W alone")
	}
	if f.day && text != "?" && strings.Contains(text, "?") {
		return fieldSet{}, errors.New("? (any) stands alone in its field, as in croniter")
	}
	if fs.nth != [8]uint8{} && fs.mask != 0 {
		// croniter refuses the mix, or (when the plain weekdays are the # ones) ignores them.
		return fieldSet{}, errors.New("plain weekdays and # or L weekdays do not mix (croniter, Airflow's cron library, refuses it): list only # and L forms, e.g. 1#1,5#3,L5")
	}
	return fs, nil
}

// parseElem adds one list element to fs: *, v, a-b, each optionally followed by /step, or in
// the day fields ? (any) and croniter's L, W and # forms.
func parseElem(elem string, f field, fs *fieldSet) error {
	if elem == "" {
		return errors.New("empty list element")
	}
	if f.day {
		if ok, err := parseDayElem(elem, f, fs); ok || err != nil {
			return err
		}
	}
	m, err := parseRange(elem, f)
	if err != nil {
		return withExtensionHint(err, elem, f)
	}
	fs.mask |= m
	return nil
}

// parseDayElem parses the day-field extensions: ? (any, like *), in day-of-month L (the last
// day), a-L (a up to the last day, also with a step) and nW or Wn (the weekday nearest the nth,
// never in another month), in day-of-week w#n (the nth weekday w of the month, n 1-5) and Lw
// (the last weekday w). It reports whether elem was one of them.
func parseDayElem(elem string, f field, fs *fieldSet) (bool, error) {
	up := asciiUpper(elem)
	if up == "?" {
		m, _ := parseRange("*", f)
		fs.mask |= m
		return true, nil
	}
	if !f.weekday {
		switch base, step, _ := strings.Cut(up, "/"); {
		case up == "L":
			fs.last = true
			return true, nil
		case up == "LW" || up == "WL":
			return true, errors.New("LW (the last weekday of the month) is not in croniter: use L for the last day or L5 for the last Friday")
		case strings.HasSuffix(base, "-L"):
			// a-L reaches the month's last day: a-31 is the same, as no month has more days.
			text := strings.TrimSuffix(base, "L") + "31"
			if strings.Contains(up, "/") {
				text += "/" + step
			}
			m, err := parseRange(text, f)
			if err != nil {
				return true, err
			}
			fs.mask |= m
			return true, nil
		case nearDay(up) != "":
			v, err := parseValue(nearDay(up), f)
			if err != nil {
				return true, err
			}
			fs.near |= 1 << v
			return true, nil
		}
		return false, nil
	}
	if w, n, ok := strings.Cut(up, "#"); ok {
		if strings.Contains(w, "/") {
			return true, fmt.Errorf("%q: # takes a weekday or a range of them (MON-FRI#1), not a step", elem)
		}
		days, err := parseRange(w, f) // croniter also takes a range: MON-FRI#1
		if err != nil {
			return true, err
		}
		k, ok := parseNumber(n)
		if !ok || k < 1 || k > 5 {
			return true, fmt.Errorf("%q: a month has 1 to 5 of each weekday, so # takes 1-5 (SAT#1 is the first Saturday, L6 the last)", elem)
		}
		for d := range fs.nth {
			if days&(1<<d) != 0 {
				fs.nth[d] |= 1 << (k - 1)
			}
		}
		return true, nil
	}
	if rest, ok := strings.CutPrefix(up, "L"); ok && rest != "" && !strings.ContainsAny(rest, "-/") {
		if _, named := f.names[rest]; named {
			return true, fmt.Errorf("invalid value %q: croniter writes the last weekday with its number, L%d", elem, f.names[rest])
		}
		d, err := parseValue(rest, f)
		if err != nil {
			return true, err
		}
		fs.nth[d] |= 1 << lastNth
		return true, nil
	}
	if up == "L" {
		//lint:ignore ST1005 L is the cron syntax the message is about
		return true, errors.New("L in day-of-week needs a weekday: L5 is the last Friday (L alone, the last day, belongs in day-of-month)")
	}
	if w, ok := strings.CutSuffix(up, "L"); ok && w != "" {
		if _, err := parseValue(w, f); err == nil {
			return true, fmt.Errorf("invalid value %q: croniter writes the last weekday as L%s", elem, w)
		}
	}
	return false, nil
}

// nearDay returns the day of nW or Wn (both croniter forms), "" for anything else.
func nearDay(up string) string {
	d, ok := strings.CutSuffix(up, "W")
	if !ok {
		d, ok = strings.CutPrefix(up, "W")
	}
	if !ok || !isDigits(d) {
		return ""
	}
	return d
}

// withExtensionHint adds to a value error the croniter extension the text looks like, when it
// is used in a field that does not take it.
func withExtensionHint(err error, elem string, f field) error {
	up := asciiUpper(elem)
	lastWeekday := strings.HasPrefix(up, "L") && len(up) > 1 && !strings.ContainsAny(up, "-/")
	var hint string
	switch {
	case up == "?" && !f.day:
		hint = "? (any) is only for day-of-month and day-of-week; write *"
	case strings.Contains(up, "#") && !f.weekday:
		hint = "# is only for day-of-week: SAT#1 is the first Saturday of the month"
	case (up == "L" || strings.HasSuffix(up, "-L")) && !f.day:
		hint = "L is only for day-of-month (L, 29-L: up to the last day) and day-of-week (L5: the last Friday)"
	case lastWeekday && !f.weekday:
		hint = "L5 (the last Friday) and the like belong in day-of-week"
	case nearDay(up) != "" && (f.weekday || !f.day):
		hint = "W is only for day-of-month: 15W is the weekday nearest the 15th"
	}
	if hint == "" {
		return err
	}
	return fmt.Errorf("%v; %s", err, hint)
}

// parseRange expands *, v, a-b, each optionally followed by /step, into a bit set.
func parseRange(elem string, f field) (uint64, error) {
	base, stepText, hasStep := strings.Cut(elem, "/")
	step := 1
	if hasStep {
		digits := strings.TrimLeft(stepText, "0")
		if !isDigits(stepText) || digits == "" {
			return 0, fmt.Errorf("step %q must be a positive integer", stepText)
		}
		step = 1 << 30 // a step longer than the field keeps only the start, as in croniter
		if n, ok := parseNumber(digits); ok {
			step = n
		}
	}
	var lo, hi int
	switch {
	case base == "*":
		lo, hi = f.min, f.max
	case strings.Contains(base, "-"):
		a, b, _ := strings.Cut(base, "-")
		if a == "" || b == "" {
			return 0, fmt.Errorf("range %q needs a start and an end", base)
		}
		var err error
		if lo, err = parseValue(a, f); err != nil {
			return 0, err
		}
		if hi, err = parseValue(b, f); err != nil {
			return 0, err
		}
		if f.weekday && hi == 0 && lo > 0 {
			hi = 7 // croniter's "-Sun" notation: FRI-SUN is 5-7
		}
		if lo > hi {
			return 0, fmt.Errorf("range %q: start %d is after end %d", base, lo, hi)
		}
	default:
		v, err := parseValue(base, f)
		if err != nil {
			return 0, err
		}
		lo, hi = v, v
		if hasStep {
			hi = f.max // croniter: a/n means a-max/n
		}
	}
	var mask uint64
	for v := lo; v <= hi; v += step {
		mask |= 1 << v
	}
	return mask, nil
}

// parseValue reads a number or, in the month and day-of-week fields, a name.
func parseValue(s string, f field) (int, error) {
	if n, ok := parseNumber(s); ok {
		if n < f.min || n > f.max {
			return 0, fmt.Errorf("value %d out of range %d-%d", n, f.min, f.max)
		}
		return n, nil
	}
	if isDigits(s) { // too many digits for parseNumber
		return 0, fmt.Errorf("value %s out of range %d-%d", s, f.min, f.max)
	}
	if f.names == nil {
		return 0, fmt.Errorf("invalid value %q: want a number %d-%d", s, f.min, f.max)
	}
	if v, ok := f.names[asciiUpper(s)]; ok && isLetters(s) {
		return v, nil
	}
	return 0, fmt.Errorf("invalid value %q: want a number %d-%d or a name %s", s, f.min, f.max, f.nameHint)
}

// parseNumber reads a short unsigned decimal number (no sign, at most 9 digits).
func parseNumber(s string) (int, bool) {
	if s == "" || len(s) > 9 || !isDigits(s) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// asciiUpper and asciiLower change only ASCII letters, so that no exotic Unicode case mapping
// (ſ → S) turns an invalid name into a valid one.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

// String returns the normalized expression: presets as written (in lower case), otherwise the
// five fields separated by single spaces with names in upper case. Parse(e.String()) describes
// the same schedule.
func (e *Expr) String() string { return e.spec }

// Fixed reports whether the schedule fires at fixed UTC intervals irrespective of DST: its hour
// field covers all 24 hours ("*/15 * * * *", "0 * * * *", also "0 0-23 * * *"). This is Airflow's
// test (the hour field expands to *, CronMixin's _covers_every_hour), under which Airflow computes
// the next run in UTC. Such schedules fire at every real instant whose wall clock matches, so an
// hourly job runs every real hour across a DST change; other schedules fire once per wall time
// (see the package documentation).
func (e *Expr) Fixed() bool { return e.hour == allHours }
