package cron

import (
	"reflect"
	"testing"
	"time"
	_ "time/tzdata" // the DST tests must not depend on the machine's zoneinfo
)

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
