package tasks

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a duration as DAG authors write it: Go syntax ("30s", "1h30m", "250ms"),
// with "d" for days and "w" for weeks ("7d", "2w"), or a bare number of seconds ("300").
// Negative durations are rejected.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration (write e.g. 30s, 5m, 2h or 1d)")
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil || isNumberLike(s) {
		switch {
		case err != nil || math.IsNaN(n) || math.IsInf(n, 0):
			return 0, fmt.Errorf("duration %q is not a number of seconds: write e.g. 30s, 5m, 2h or 1d", s)
		case n < 0:
			return 0, fmt.Errorf("duration %q is negative", s)
		case n*float64(time.Second) > maxDuration:
			return 0, fmt.Errorf("duration %q is too large (at most about 290 years)", s)
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	var total time.Duration
	rest := s
	// Peel leading "<n>w" and "<n>d" terms, which time.ParseDuration does not know.
	for _, unit := range []struct {
		suffix string
		size   time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}} {
		if i := strings.Index(rest, unit.suffix); i > 0 {
			n, err := strconv.ParseFloat(rest[:i], 64)
			switch {
			case err != nil || math.IsNaN(n) || math.IsInf(n, 0) || n < 0:
				return 0, fmt.Errorf("duration %q: write e.g. 30s, 5m, 2h, 1d or 1d12h", s)
			case n*float64(unit.size) > maxDuration:
				return 0, fmt.Errorf("duration %q is too large (at most about 290 years)", s)
			}
			total += time.Duration(n * float64(unit.size))
			rest = rest[i+1:]
		}
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		switch {
		case err != nil && strings.Contains(err.Error(), "invalid duration") && strings.HasPrefix(s, "-"):
			return 0, fmt.Errorf("duration %q is negative", s)
		case err != nil && strings.Contains(err.Error(), "overflow"):
			return 0, fmt.Errorf("duration %q is too large (at most about 290 years)", s)
		case err != nil:
			return 0, fmt.Errorf("duration %q: write e.g. 30s, 5m, 2h, 1d or 1d12h", s)
		case d < 0 && rest != s:
			return 0, fmt.Errorf("duration %q: a negative part is not allowed", s)
		}
		total += d
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	if total < 0 {
		return 0, fmt.Errorf("duration %q is too large (at most about 290 years)", s)
	}
	return total, nil
}

// maxDuration is the largest time.Duration, as a float of nanoseconds.
const maxDuration = float64(math.MaxInt64)

// isNumberLike catches what ParseFloat rejects for range but is still a bare number.
func isNumberLike(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	var ne *strconv.NumError
	return errors.As(err, &ne) && ne.Err == strconv.ErrRange
}

// MaxMemoryLimit is the most a wasm32 module can address: 65,536 pages of 64 KiB.
const MaxMemoryLimit = 4 << 30

// ParseSize reads a byte size: a bare number of bytes, or a number with KiB, MiB, GiB
// (powers of 1024) or KB, MB, GB (powers of 1000); "k", "m", "g" alone mean KiB, MiB, GiB.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			mult, t = u.mult, strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || t == "" {
		return 0, fmt.Errorf("size %q: write e.g. 64MiB, 512KiB or 1GiB", s)
	}
	if n < 0 {
		return 0, fmt.Errorf("size %q is negative", s)
	}
	return int64(n * float64(mult)), nil
}
