package tasks

import (
	"fmt"
	"sort"
)

// DidYouMean is suggest for other packages' names (config keys): ` (did you mean "x"?)` or "".
func DidYouMean(got string, known ...string) string {
	set := make(map[string]bool, len(known))
	for _, k := range known {
		set[k] = true
	}
	return suggest(got, set)
}

// suggest proposes the closest known key for a typo: ` (did you mean "retries"?)`.
func suggest(got string, known map[string]bool) string {
	// Allow about one edit per three characters, so "zz" is not "fixed" into "a".
	best, bestDist := "", max(1, len(got)/3)+1
	if len(known) > 1000 {
		return ""
	}
	keys := make([]string, 0, len(known))
	for k := range known {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if d := editDistance(got, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
