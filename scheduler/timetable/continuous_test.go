package timetable

import (
	"testing"
	"time"
)

// TestContinuous: the first run covers [start_date, now], the next [previous end, now], each
// dated by its end; catchup changes nothing; a start_date ahead makes the first run wait for it.
func TestContinuous(t *testing.T) {
	utc := time.UTC
	tt := For(dag(t, "@continuous", "2024-01-01", "", utc))
	now := at(t, "2024-03-01 10:00", utc)
	for _, catchup := range []bool{false, true} {
		first, ok := tt.Next(nil, now, catchup)
		if !ok || !first.Start.Equal(at(t, "2024-01-01", utc)) || !first.End.Equal(now) || !tt.LogicalDate(first).Equal(now) {
			t.Fatalf("catchup=%v first = %v %v, want [2024-01-01, now] dated now", catchup, first, ok)
		}
	}
	first, _ := tt.Next(nil, now, false)
	later := now.Add(90 * time.Second)
	second, ok := tt.Next(&first, later, false)
	if !ok || !second.Start.Equal(now) || !second.End.Equal(later) {
		t.Errorf("second = %v %v, want [%v, %v]", second, ok, now, later)
	}
	// A run that ended at the instant it was made: the next one is due a moment later, never
	// with the same logical date.
	same, _ := tt.Next(&first, now, false)
	if !tt.LogicalDate(same).After(tt.LogicalDate(first)) || !same.End.After(now) {
		t.Errorf("next at the same instant = %v, want a logical date after %v", same, now)
	}

	ahead := For(dag(t, "@continuous", "2025-01-01", "", utc))
	if iv, ok := ahead.Next(nil, now, false); !ok || !iv.End.Equal(at(t, "2025-01-01", utc)) {
		t.Errorf("start_date ahead: %v %v, want due at 2025-01-01", iv, ok)
	}
	ended := For(dag(t, "@continuous", "2024-01-01", "2024-02-01", utc))
	if iv, ok := ended.Next(nil, now, false); ok {
		t.Errorf("past end_date: %v, want none", iv)
	}
	if ivs := tt.Intervals(at(t, "2024-01-01", utc), now); len(ivs) != 0 {
		t.Errorf("intervals to backfill = %v, want none", ivs)
	}
}
