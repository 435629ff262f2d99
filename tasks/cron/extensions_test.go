package cron

import (
	"reflect"
	"testing"
	"time"
)

// TestExtensions walks croniter's day-field extensions (L, W, #, Lw, ?) forward and back over
// month ends, leap years (2100 is not one, 2400 is) and months without the asked weekday.
func TestExtensions(t *testing.T) {
	tests := []struct {
		name, spec, from string
		want             []string // the next fire dates after from, at 00:00 UTC
	}{
		{"L: the last day, 2100 is no leap year", "0 0 L * *", "2100-01-15", []string{"2100-01-31", "2100-02-28", "2100-03-31", "2100-04-30"}},
		{"L in February of 2400, a leap year", "0 0 L 2 *", "2399-12-01", []string{"2400-02-29", "2401-02-28"}},
		{"L in February of 2024", "0 0 L FEB *", "2023-03-01", []string{"2024-02-29", "2025-02-28"}},
		{"lower-case l", "0 0 l * *", "2023-04-01", []string{"2023-04-30", "2023-05-31"}},
		{"29-L", "0 0 29-L * *", "2024-01-29", []string{"2024-01-30", "2024-01-31", "2024-02-29", "2024-03-29", "2024-03-30"}},
		{"29-L in February: none in 2100", "0 0 29-L 2 *", "2097-01-01", []string{"2104-02-29", "2108-02-29"}},
		{"1-L/8", "0 0 1-L/8 * *", "2024-02-01", []string{"2024-02-09", "2024-02-17", "2024-02-25", "2024-03-01"}},
		{"L with other days", "0 0 1,15,L * *", "2024-02-01", []string{"2024-02-15", "2024-02-29", "2024-03-01"}},
		{"15W: Saturday to Friday, Sunday to Monday", "0 0 15W * *", "2024-06-01", []string{"2024-06-14", "2024-07-15", "2024-08-15", "2024-09-16"}},
		{"W15 is 15W", "0 0 W15 * *", "2024-06-01", []string{"2024-06-14", "2024-07-15"}},
		{"1W: a Saturday 1st moves to the 3rd, not back into May", "0 0 1W * *", "2024-05-15", []string{"2024-06-03", "2024-07-01", "2024-08-01", "2024-09-02"}},
		{"31W: a Sunday 31st moves to the 29th; months without a 31st", "0 0 31w * *", "2024-03-01", []string{"2024-03-29", "2024-05-31", "2024-07-31", "2024-08-30", "2024-10-31"}},
		{"30W in January to March: February has no 30th", "0 0 30W 1-3 *", "2024-01-01", []string{"2024-01-30", "2024-03-29", "2025-01-30"}},
		{"sat#1", "0 0 * * sat#1", "2024-01-01", []string{"2024-01-06", "2024-02-03", "2024-03-02"}},
		{"1#4", "0 0 * * 1#4", "2024-01-01", []string{"2024-01-22", "2024-02-26", "2024-03-25"}},
		{"wed#5 skips months without a fifth Wednesday", "0 0 * * wed#5", "2024-01-01", []string{"2024-01-31", "2024-05-29", "2024-07-31"}},
		{"7#1 is the first Sunday", "0 0 * * 7#1", "2024-01-01", []string{"2024-01-07", "2024-02-04"}},
		{"a fifth Monday in February: leap years starting on a Monday", "0 0 * 2 1#5", "2017-01-01", []string{"2044-02-29"}},
		{"L5: the last Friday", "0 0 * * L5", "2024-01-01", []string{"2024-01-26", "2024-02-23", "2024-03-29"}},
		{"l7: the last Sunday", "0 0 * * l7", "2024-01-01", []string{"2024-01-28", "2024-02-25"}},
		{"a range with #: the first weekday of each kind", "0 0 * * MON-FRI#1", "2024-01-31", []string{"2024-02-01", "2024-02-02", "2024-02-05", "2024-02-06", "2024-02-07", "2024-03-01"}},
		{"# with ? in day-of-month", "0 0 ? * 5#3", "2024-01-01", []string{"2024-01-19", "2024-02-16"}},
		{"L2,L4", "0 0 * * L2,L4", "2024-01-01", []string{"2024-01-25", "2024-01-30", "2024-02-27", "2024-02-29"}},
		{"L6,6#1", "0 0 * * L6,6#1", "2024-01-01", []string{"2024-01-06", "2024-01-27", "2024-02-03", "2024-02-24"}},
		{"? in day-of-month", "0 0 ? * MON", "2024-01-01", []string{"2024-01-08", "2024-01-15"}},
		{"? in day-of-week", "0 0 1 * ?", "2024-01-01", []string{"2024-02-01", "2024-03-01"}},
		{"? in both", "0 0 ? * ?", "2024-02-28", []string{"2024-02-29", "2024-03-01"}},
		{"15W or Friday", "0 0 15W * FRI", "2024-06-06", []string{"2024-06-07", "2024-06-14", "2024-06-21"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustParse(t, tt.spec)
			cur := at(t, tt.from+"T00:00:00Z", "UTC")
			var got, back []string
			for range tt.want {
				cur = e.Next(cur)
				got = append(got, cur.Format(time.DateOnly))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Next from %s\n got: %v\nwant: %v", tt.from, got, tt.want)
			}
			// Prev walks the same dates back from the last one.
			for i := len(tt.want) - 1; i >= 0; i-- {
				back = append([]string{cur.Format(time.DateOnly)}, back...)
				cur = e.Prev(cur.Add(-time.Second))
			}
			if !reflect.DeepEqual(back, tt.want) {
				t.Errorf("Prev walk\n got: %v\nwant: %v", back, tt.want)
			}
			if !cur.Before(at(t, tt.from+"T00:00:00Z", "UTC").Add(time.Second)) {
				t.Errorf("Prev before %s = %s, after from %s", tt.want[0], cur, tt.from)
			}
			if again := mustParse(t, e.String()); !sameSchedule(e, again) {
				t.Errorf("String() = %q does not parse back to the same schedule", e.String())
			}
		})
	}
}

// TestExtensionsAcrossDST: a last-Sunday job at the repeated hour runs at its second occurrence.
func TestExtensionsAcrossDST(t *testing.T) {
	e := mustParse(t, "30 2 * * L0") // 2024-10-27, the last Sunday of October, is Zurich's fall-back day
	got := e.Next(at(t, "2024-10-01T00:00:00+02:00", "Europe/Zurich"))
	if want := at(t, "2024-10-27T02:30:00+01:00", "Europe/Zurich"); !got.Equal(want) {
		t.Errorf("Next = %s, want %s", got, want)
	}
}

// A fire time past the end of a zone's table, reached across the overlap Go reports there
// (Australia/Lord_Howe's summer span of January 2038). The fuzzer found it.
func TestNextAcrossTheTableEnd(t *testing.T) {
	l, err := time.LoadLocation("Australia/Lord_Howe")
	if err != nil {
		t.Fatal(err)
	}
	e, err := Parse("0 0 * 2 0#5") // the fifth Sunday of February: 2032, 2060
	if err != nil {
		t.Fatal(err)
	}
	from, want := time.Date(2032, 2, 29, 0, 0, 0, 0, l), time.Date(2060, 2, 29, 0, 0, 0, 0, l)
	if got := e.Next(from); !got.Equal(want) {
		t.Errorf("Next(%s) = %s, want %s", from, got, want)
	}
	if got := e.Prev(want.Add(time.Hour)); !got.Equal(want) {
		t.Errorf("Prev(%s) = %s, want %s", want.Add(time.Hour), got, want)
	}
	if got := e.Prev(want.Add(-time.Hour)); !got.Equal(from) {
		t.Errorf("Prev(%s) = %s, want %s", want.Add(-time.Hour), got, from)
	}
}
