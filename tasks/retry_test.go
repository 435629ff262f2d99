package tasks

import (
	"crypto/sha1"
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"
)

// airflowBackoffSeconds recomputes next_retry_datetime's delay the way the Python does, with
// big integers for int(sha1(...).hexdigest(), 16) and the hash input spelled out by hand.
func airflowBackoffSeconds(dagID, taskID, dateStr string, try int, delaySeconds float64, maxDelay time.Duration) int64 {
	minBackoff := math.Ceil(delaySeconds * math.Pow(2, float64(try-1)))
	if minBackoff < 1 {
		minBackoff = 1
	}
	if minBackoff >= 86400 {
		minBackoff = 86400 // modded_hash >= min_backoff, so min(modded_hash, 86400) is 86400
	}
	sum := sha1.Sum(fmt.Appendf(nil, "%s#%s#%s#%d", dagID, taskID, dateStr, try))
	h := new(big.Int).SetBytes(sum[:])
	mod := new(big.Int).Mod(h, big.NewInt(int64(minBackoff))).Int64()
	secs := min(int64(minBackoff)+mod, 86400)
	if maxDelay > 0 && time.Duration(secs)*time.Second > maxDelay {
		return int64(maxDelay / time.Second)
	}
	return secs
}

func TestRetryDelayFor(t *testing.T) {
	jan1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		delay   time.Duration
		backoff bool
		max     time.Duration
		try     int
		date    time.Time
		dateStr string // how Airflow writes the logical date into the hash
	}{
		{"plain", 5 * time.Minute, false, 0, 1, jan1, ""},
		{"plain ignores max_retry_delay", 5 * time.Minute, false, time.Minute, 3, jan1, ""},
		{"try 1", 5 * time.Minute, true, 0, 1, jan1, "2024-01-01 00:00:00+00:00"},
		{"try 2", 5 * time.Minute, true, 0, 2, jan1, "2024-01-01 00:00:00+00:00"},
		{"try 5", 5 * time.Minute, true, 0, 5, jan1, "2024-01-01 00:00:00+00:00"},
		{"try 9 hits 24h", 5 * time.Minute, true, 0, 9, jan1, "2024-01-01 00:00:00+00:00"},
		{"try 200 no overflow", 5 * time.Minute, true, 0, 200, jan1, "2024-01-01 00:00:00+00:00"},
		{"capped by max_retry_delay", 5 * time.Minute, true, 10 * time.Minute, 4, jan1, "2024-01-01 00:00:00+00:00"},
		{"cap above the value", 5 * time.Minute, true, time.Hour, 2, jan1, "2024-01-01 00:00:00+00:00"},
		{"zero delay floors at 1s", 0, true, 0, 1, jan1, "2024-01-01 00:00:00+00:00"},
		{"sub-second delay", 300 * time.Millisecond, true, 0, 3, jan1, "2024-01-01 00:00:00+00:00"},
		{"fractional seconds ceil", 1500 * time.Millisecond, true, 0, 2, jan1, "2024-01-01 00:00:00+00:00"},
		{"microseconds in the date", time.Minute, true, 0, 3,
			time.Date(2024, 3, 10, 6, 30, 0, 250_000_000, time.UTC), "2024-03-10 06:30:00.250000+00:00"},
		{"date in another zone is hashed in UTC", time.Minute, true, 0, 2,
			time.Date(2024, 7, 1, 9, 0, 0, 0, time.FixedZone("KST", 9*3600)), "2024-07-01 00:00:00+00:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			task := &Task{TaskID: "load", RetryDelay: tc.delay, RetryExponentialBackoff: tc.backoff, MaxRetryDelay: tc.max}
			got := task.RetryDelayFor("etl", tc.date, tc.try)
			want := tc.delay
			if tc.backoff {
				want = time.Duration(airflowBackoffSeconds("etl", "load", tc.dateStr, tc.try, tc.delay.Seconds(), tc.max)) * time.Second
			}
			if got != want {
				t.Fatalf("RetryDelayFor(try %d) = %v, want %v", tc.try, got, want)
			}
		})
	}
}

// TestRetryDelayMatchesCPython pins values printed by CPython running Airflow's formula
// (math.ceil, hashlib.sha1, str(datetime)), for dag "etl", task "load".
func TestRetryDelayMatchesCPython(t *testing.T) {
	jan1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	check := func(delay time.Duration, date time.Time, want []int64) {
		t.Helper()
		task := &Task{TaskID: "load", RetryDelay: delay, RetryExponentialBackoff: true}
		for i, w := range want {
			if got := task.RetryDelayFor("etl", date, i+1); got != time.Duration(w)*time.Second {
				t.Errorf("delay %v, try %d: got %v, CPython %ds", delay, i+1, got, w)
			}
		}
	}
	check(5*time.Minute, jan1, []int64{322, 1175, 1753, 2455, 7687, 13930, 28038, 46017, 86400, 86400, 86400})
	check(1500*time.Millisecond, jan1, []int64{2, 5, 7, 19})
	check(time.Minute, time.Date(2024, 3, 10, 6, 30, 0, 250_000_000, time.UTC), []int64{79, 204, 416, 768, 1140})
}

func TestRetryDelayGrowsAndStaysInBounds(t *testing.T) {
	task := &Task{TaskID: "t", RetryDelay: 10 * time.Second, RetryExponentialBackoff: true, MaxRetryDelay: 2 * time.Hour}
	date := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	prev := time.Duration(0)
	for try := 1; try <= 40; try++ {
		d := task.RetryDelayFor("dag", date, try)
		lo := 2 * time.Hour // min_backoff = 10s * 2^(try-1) passes 2h at try 11
		if try <= 10 {
			lo = time.Duration(10<<(try-1)) * time.Second
		}
		hi := min(2*lo, 2*time.Hour)
		if d < lo || d > hi {
			t.Errorf("try %d: %v outside [%v, %v]", try, d, lo, hi)
		}
		// Jitter lies in [min, 2*min) and min doubles, so the delay never shrinks.
		if d < prev {
			t.Errorf("try %d: %v is less than try %d's %v", try, d, try-1, prev)
		}
		prev = d
	}
	if prev != 2*time.Hour {
		t.Errorf("late tries = %v, want the 2h cap", prev)
	}
}

func TestRetryDelayHardCapWithoutMax(t *testing.T) {
	task := &Task{TaskID: "t", RetryDelay: time.Hour, RetryExponentialBackoff: true}
	for _, try := range []int{6, 7, 60, 1 << 20} {
		if d := task.RetryDelayFor("dag", time.Unix(0, 0), try); d != 24*time.Hour {
			t.Errorf("try %d: %v, want Airflow's MAX_RETRY_DELAY of 24h", try, d)
		}
	}
}

func TestRetryDelayOneSecondFloor(t *testing.T) {
	for _, delay := range []time.Duration{0, time.Microsecond, 100 * time.Millisecond} {
		task := &Task{TaskID: "t", RetryDelay: delay, RetryExponentialBackoff: true}
		// min_backoff is 1, and anything mod 1 is 0.
		if d := task.RetryDelayFor("dag", time.Unix(0, 0), 1); d != time.Second {
			t.Errorf("delay %v: %v, want 1s", delay, d)
		}
	}
}

func TestRetryDelayIsDeterministicAndSpread(t *testing.T) {
	task := &Task{TaskID: "t", RetryDelay: time.Minute, RetryExponentialBackoff: true}
	seen := map[time.Duration]bool{}
	for day := 0; day < 30; day++ {
		date := time.Date(2024, 1, 1+day, 0, 0, 0, 0, time.UTC)
		a, b := task.RetryDelayFor("dag", date, 3), task.RetryDelayFor("dag", date, 3)
		if a != b {
			t.Fatalf("not deterministic: %v then %v", a, b)
		}
		seen[a] = true
	}
	if len(seen) < 10 {
		t.Errorf("30 logical dates gave only %d distinct delays; the jitter should spread them", len(seen))
	}
}

func TestPythonDatetime(t *testing.T) {
	cases := map[time.Time]string{
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC):                            "2024-01-01 00:00:00+00:00",
		time.Date(2024, 1, 1, 0, 0, 0, 1000, time.UTC):                         "2024-01-01 00:00:00.000001+00:00",
		time.Date(2024, 1, 1, 0, 0, 0, 999, time.UTC):                          "2024-01-01 00:00:00+00:00",
		time.Date(2024, 1, 1, 8, 0, 0, 0, time.FixedZone("X", 8*3600)):         "2024-01-01 00:00:00+00:00",
		time.Date(2023, 12, 31, 23, 59, 59, 123456789, time.FixedZone("Y", 0)): "2023-12-31 23:59:59.123456+00:00",
	}
	for in, want := range cases {
		if got := pythonDatetime(in); got != want {
			t.Errorf("pythonDatetime(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestSensorPokeDelay(t *testing.T) {
	jan1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	sensor := func(backoff bool, poke, timeout time.Duration) *Task {
		return &Task{TaskID: "wait", Sensor: &Sensor{PokeInterval: poke, Timeout: timeout, ExponentialBackoff: backoff}}
	}
	if d := sensor(false, 30*time.Second, time.Hour).SensorPokeDelay("etl", jan1, 0, 5); d != 30*time.Second {
		t.Errorf("no backoff: %v, want poke_interval", d)
	}
	if d := (&Task{TaskID: "x"}).SensorPokeDelay("etl", jan1, 0, 1); d != DefaultPokeInterval {
		t.Errorf("no sensor settings: %v, want %v", d, DefaultPokeInterval)
	}
	// CPython, _get_next_poke_interval with started_at replaced by the logical date.
	want := []int64{57, 109, 168, 329, 506, 1063, 3262}
	s := sensor(true, time.Minute, 7*24*time.Hour)
	for i, w := range want {
		if got := s.SensorPokeDelay("etl", jan1, 0, i+1); got != time.Duration(w)*time.Second {
			t.Errorf("poke %d: %v, CPython %ds", i+1, got, w)
		}
	}
	// Independent recomputation: min_backoff uses int() (truncation) and 2^(poke-2).
	for poke := 1; poke <= 12; poke++ {
		minBackoff := max(int64(60*math.Pow(2, float64(poke-2))), 1)
		sum := sha1.Sum(fmt.Appendf(nil, "etl#wait#2024-01-01 00:00:00+00:00#%d", poke))
		mod := new(big.Int).Mod(new(big.Int).SetBytes(sum[:]), big.NewInt(minBackoff)).Int64()
		wantD := min(time.Duration(minBackoff+mod)*time.Second, 7*24*time.Hour)
		if got := s.SensorPokeDelay("etl", jan1, 0, poke); got != wantD {
			t.Errorf("poke %d: %v, want %v", poke, got, wantD)
		}
	}
	// Capped by what is left of the timeout: 600 - int(590.7) = 10s.
	short := sensor(true, time.Minute, 10*time.Minute)
	for poke := 1; poke <= 3; poke++ {
		if got := short.SensorPokeDelay("etl", jan1, 590700*time.Millisecond, poke); got != 10*time.Second {
			t.Errorf("poke %d near the timeout: %v, want 10s", poke, got)
		}
	}
	if got := short.SensorPokeDelay("etl", jan1, time.Hour, 2); got != 0 {
		t.Errorf("past the timeout: %v, want 0", got)
	}
	if got := short.SensorPokeDelay("etl", jan1, 0, 1000); got != 10*time.Minute {
		t.Errorf("huge poke number: %v, want the timeout", got)
	}
	// The 1-second floor: a 1s poke interval halves to int(0.5) = 0 on the first poke.
	if got := sensor(true, time.Second, time.Hour).SensorPokeDelay("etl", jan1, 0, 1); got != time.Second {
		t.Errorf("floor: %v, want 1s", got)
	}
}
