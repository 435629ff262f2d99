package tasks

import (
	"crypto/sha1"
	"fmt"
	"math"
	"strconv"
	"time"
)

// maxBackoffSeconds is Airflow's MAX_RETRY_DELAY (abstractoperator.py): exponential backoff never
// waits longer than a day, whatever max_retry_delay says. It also keeps the arithmetic far from
// overflow.
const maxBackoffSeconds = 24 * 60 * 60

// RetryDelayFor returns how long after the end of failed try tryNumber (1 for the first try) the
// next try of t may start, as Airflow's TaskInstance.next_retry_datetime computes it:
//
//   - without retry_exponential_backoff: retry_delay, as is (Airflow applies max_retry_delay only
//     to the backoff);
//   - with it: min_backoff = ceil(retry_delay_seconds * 2^(tryNumber-1)), at least 1;
//     delay = min_backoff + sha1("dag_id#task_id#logical_date#tryNumber") mod min_backoff, in
//     whole seconds, at most 24 h, then capped by max_retry_delay when that is set (> 0).
//
// The jitter is deterministic per task instance and try, so every scheduler agrees on it.
// logical_date is written as Python's str() of the UTC datetime Airflow reads from its database
// ("2024-01-01 00:00:00+00:00", with ".ffffff" only when there are microseconds), so the delay
// equals Airflow's for the same ids and date. tryNumber is the number of the try that failed,
// as in Airflow 2.10+; Airflow 2.0-2.9 used try_number-2 and hashed try_number+1 because its
// try_number already counted the next try: the same min_backoff, a different jitter.
func (t *Task) RetryDelayFor(dagID string, logicalDate time.Time, tryNumber int) time.Duration {
	if !t.RetryExponentialBackoff {
		return t.RetryDelay
	}
	// timedelta.total_seconds() has microsecond resolution; doubling a float is exact.
	x := math.Ldexp(float64(t.RetryDelay.Microseconds())/1e6, tryNumber-1)
	secs := int64(maxBackoffSeconds)
	if x < maxBackoffSeconds { // else min_backoff, and so the delay, is already past the cap
		minBackoff := max(int64(math.Ceil(x)), 1)
		secs = min(minBackoff+retryJitter(dagID, t.TaskID, logicalDate, tryNumber, minBackoff), maxBackoffSeconds)
	}
	d := time.Duration(secs) * time.Second
	if t.MaxRetryDelay > 0 && t.MaxRetryDelay < d {
		d = t.MaxRetryDelay
	}
	return d
}

// SensorPokeDelay returns how long a sensor waits after poke number pokeNumber (1 for the first)
// came back "not yet", runDuration after its first poke: poke_interval, or with
// exponential_backoff the formula of Airflow's BaseSensorOperator._get_next_poke_interval:
// min_backoff = max(int(poke_interval_seconds * 2^(pokeNumber-2)), 1),
// interval = min_backoff + sha1("dag_id#task_id#started_at#pokeNumber") mod min_backoff, at most
// timeout - int(runDuration seconds) (never below 0).
//
// Deliberate difference: Airflow hashes started_at, the time the sensor started (a monotonic
// clock reading in poke mode, a datetime in reschedule mode), which no other process can
// reproduce; wasmflow hashes the logical date, written as RetryDelayFor writes it, so the
// retryJitter is still spread across task instances and the delay is deterministic. A task without
// sensor settings waits DefaultPokeInterval.
func (t *Task) SensorPokeDelay(dagID string, logicalDate time.Time, runDuration time.Duration, pokeNumber int) time.Duration {
	s := t.Sensor
	if s == nil {
		return DefaultPokeInterval
	}
	if !s.ExponentialBackoff {
		return s.PokeInterval
	}
	left := s.Timeout - runDuration.Truncate(time.Second) // self.timeout - int(run_duration())
	x := math.Ldexp(float64(s.PokeInterval.Microseconds())/1e6, pokeNumber-2)
	if x >= 1<<40 { // beyond any timeout a Duration can hold
		return max(left, 0)
	}
	minBackoff := max(int64(x), 1)
	d := time.Duration(minBackoff+retryJitter(dagID, t.TaskID, logicalDate, pokeNumber, minBackoff)) * time.Second
	return max(min(d, left), 0)
}

// retryJitter is int(sha1("dag#task#date#n").hexdigest(), 16) % m, for m >= 1, reducing the 160-bit
// digest byte by byte (m < 2^41, so r*256+b never overflows).
func retryJitter(dagID, taskID string, date time.Time, n int, m int64) int64 {
	sum := sha1.Sum([]byte(dagID + "#" + taskID + "#" + pythonDatetime(date) + "#" + strconv.Itoa(n)))
	var r int64
	for _, b := range sum {
		r = (r*256 + int64(b)) % m
	}
	return r
}

// pythonDatetime formats t in UTC as Python's str(datetime) does for an aware datetime:
// "2024-01-01 00:00:00+00:00", or "2024-01-01 00:00:00.123456+00:00" when there are
// microseconds (Python has no finer resolution, so nanoseconds are dropped).
func pythonDatetime(t time.Time) string {
	u := t.UTC()
	s := u.Format("2006-01-02 15:04:05")
	if us := u.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s + "+00:00"
}
