package tasks

import (
	"fmt"
	"strings"
	"testing"
)

// upstreamStates reads a compact list of upstream states: S success, F failed, K skipped,
// U upstream_failed, R removed, r running, q queued, n none, y up_for_retry.
func upstreamStates(t testing.TB, code string) []TaskInstanceState {
	t.Helper()
	by := map[rune]TaskInstanceState{
		'S': StateSuccess, 'F': StateFailed, 'K': StateSkipped, 'U': StateUpstreamFailed,
		'R': StateRemoved, 'r': StateRunning, 'q': StateQueued, 'n': StateNone, 'y': StateUpForRetry,
	}
	var out []TaskInstanceState
	for _, ch := range code {
		s, ok := by[ch]
		if !ok {
			t.Fatalf("bad state code %q in %q", ch, code)
		}
		out = append(out, s)
	}
	return out
}

// TestEvaluateTruthTable checks each rule against upstream mixes, finished and not. "why" cites
// the branch of Airflow 2.x TriggerRuleDep._evaluate_direct_relatives (flag_upstream_failed=True,
// unmapped task) that gives the expected outcome.
func TestEvaluateTruthTable(t *testing.T) {
	cases := []struct {
		rule TriggerRule
		ups  string
		want Decision
		why  string
	}{
		// all_success
		{AllSuccess, "SSS", Run, "upstream - success == 0"},
		{AllSuccess, "FFF", FailUpstream, "flag: upstream_failed or failed -> UPSTREAM_FAILED"},
		{AllSuccess, "KKK", Skip, "flag: elif skipped -> SKIPPED"},
		{AllSuccess, "SFK", FailUpstream, "failed is checked before skipped"},
		{AllSuccess, "SK", Skip, "flag: skipped -> SKIPPED"},
		{AllSuccess, "SU", FailUpstream, "flag: upstream_failed -> UPSTREAM_FAILED"},
		{AllSuccess, "Sr", Wait, "1 non-success, nothing to flag"},
		{AllSuccess, "Fr", FailUpstream, "flag sets UPSTREAM_FAILED before the running upstream ends"},
		{AllSuccess, "Kq", Skip, "flag sets SKIPPED before the queued upstream ends"},
		{AllSuccess, "UKn", FailUpstream, "upstream_failed beats skipped, early"},
		{AllSuccess, "SR", Wait, "removed is a non-success and flags nothing (deadlock)"},
		{AllSuccess, "y", Wait, "up_for_retry is unfinished"},
		// all_failed
		{AllFailed, "SSS", Skip, "flag: success or skipped -> SKIPPED"},
		{AllFailed, "FFF", Run, "upstream - failed - upstream_failed == 0"},
		{AllFailed, "KKK", Skip, "flag: skipped -> SKIPPED"},
		{AllFailed, "FU", Run, "upstream_failed counts as failed"},
		{AllFailed, "UU", Run, "upstream_failed counts as failed"},
		{AllFailed, "Fr", Wait, "1 non-failure, nothing to flag"},
		{AllFailed, "FSr", Skip, "flag sets SKIPPED before the running upstream ends"},
		{AllFailed, "Kr", Skip, "flag: skipped -> SKIPPED, early"},
		{AllFailed, "FR", Wait, "removed is a non-failure and flags nothing (deadlock)"},
		// all_done
		{AllDone, "SSS", Run, "upstream_done"},
		{AllDone, "FFF", Run, "upstream_done"},
		{AllDone, "KKK", Run, "upstream_done"},
		{AllDone, "SFKUR", Run, "every finished state, removed included, is done"},
		{AllDone, "RR", Run, "removed is done"},
		{AllDone, "Sr", Wait, "not upstream_done; all_done never flags"},
		{AllDone, "Fy", Wait, "up_for_retry is not done"},
		// all_skipped
		{AllSkipped, "KKK", Run, "upstream - skipped == 0"},
		{AllSkipped, "SSS", Skip, "flag: success -> SKIPPED"},
		{AllSkipped, "FFF", Skip, "flag: failed -> SKIPPED"},
		{AllSkipped, "KU", Skip, "flag: upstream_failed -> SKIPPED"},
		{AllSkipped, "Kr", Wait, "1 non-skipped, nothing to flag"},
		{AllSkipped, "KSr", Skip, "flag sets SKIPPED before the running upstream ends"},
		{AllSkipped, "Ur", Skip, "flag: upstream_failed -> SKIPPED, early"},
		{AllSkipped, "KR", Wait, "removed is non-skipped and flags nothing (deadlock)"},
		// one_success
		{OneSuccess, "SSS", Run, "success > 0"},
		{OneSuccess, "FFF", FailUpstream, "flag: upstream_done and success <= 0 -> UPSTREAM_FAILED"},
		{OneSuccess, "KKK", Skip, "flag: upstream_done and done == skipped -> SKIPPED"},
		{OneSuccess, "Sr", Run, "success > 0, no waiting for the rest"},
		{OneSuccess, "SFr", Run, "a failure does not matter once one succeeded"},
		{OneSuccess, "Fr", Wait, "no success yet, not upstream_done"},
		{OneSuccess, "Kr", Wait, "not upstream_done"},
		{OneSuccess, "FK", FailUpstream, "upstream_done, done != skipped, no success"},
		{OneSuccess, "KR", FailUpstream, "removed makes done != skipped"},
		{OneSuccess, "RR", FailUpstream, "upstream_done, no success"},
		{OneSuccess, "UU", FailUpstream, "upstream_done, no success"},
		// one_failed
		{OneFailed, "SSS", Skip, "flag: upstream_done and not (failed or upstream_failed) -> SKIPPED"},
		{OneFailed, "FFF", Run, "failed > 0"},
		{OneFailed, "KKK", Skip, "upstream_done, none failed"},
		{OneFailed, "Fr", Run, "failed > 0, no waiting for the rest"},
		{OneFailed, "Ur", Run, "upstream_failed counts"},
		{OneFailed, "Sr", Wait, "no failure yet, not upstream_done"},
		{OneFailed, "SK", Skip, "upstream_done, none failed"},
		{OneFailed, "SR", Skip, "removed is done, not failed"},
		// one_done
		{OneDone, "SSS", Run, "success + failed > 0"},
		{OneDone, "FFF", Run, "success + failed > 0"},
		{OneDone, "KKK", Skip, "flag: upstream_done and not (failed or success) -> SKIPPED"},
		{OneDone, "Sr", Run, "no waiting for the rest"},
		{OneDone, "Fr", Run, "no waiting for the rest"},
		{OneDone, "UU", Skip, "upstream_failed is neither success nor failed"},
		{OneDone, "KU", Skip, "upstream_done, no success or failed"},
		{OneDone, "Ur", Wait, "upstream_failed does not count, not upstream_done"},
		{OneDone, "Kr", Wait, "not upstream_done"},
		{OneDone, "Rr", Wait, "removed does not count, not upstream_done"},
		// none_failed
		{NoneFailed, "SSS", Run, "upstream - success - skipped == 0"},
		{NoneFailed, "FFF", FailUpstream, "flag: upstream_failed or failed -> UPSTREAM_FAILED"},
		{NoneFailed, "KKK", Run, "all skipped is fine for none_failed"},
		{NoneFailed, "SK", Run, "success and skipped"},
		{NoneFailed, "SFr", FailUpstream, "flag sets UPSTREAM_FAILED before the running upstream ends"},
		{NoneFailed, "SU", FailUpstream, "upstream_failed counts as failed"},
		{NoneFailed, "Kr", Wait, "1 unfinished"},
		{NoneFailed, "SR", Wait, "removed is neither success nor skipped (deadlock)"},
		// none_failed_min_one_success
		{NoneFailedMinOneSuccess, "SSS", Run, "upstream - success - skipped == 0"},
		{NoneFailedMinOneSuccess, "FFF", FailUpstream, "flag: upstream_failed or failed -> UPSTREAM_FAILED"},
		{NoneFailedMinOneSuccess, "KKK", Skip, "flag: skipped == upstream -> SKIPPED"},
		{NoneFailedMinOneSuccess, "SK", Run, "one success, the rest skipped"},
		{NoneFailedMinOneSuccess, "Kr", Wait, "skipped != upstream yet"},
		{NoneFailedMinOneSuccess, "Sr", Wait, "1 unfinished"},
		{NoneFailedMinOneSuccess, "KU", FailUpstream, "failure beats all-skipped"},
		{NoneFailedMinOneSuccess, "FKr", FailUpstream, "flag sets UPSTREAM_FAILED early"},
		{NoneFailedMinOneSuccess, "KR", Wait, "removed: skipped != upstream and 1 non-success (deadlock)"},
		// none_skipped
		{NoneSkipped, "SSS", Run, "upstream_done and skipped == 0"},
		{NoneSkipped, "FFF", Run, "failures are fine for none_skipped"},
		{NoneSkipped, "KKK", Skip, "flag: skipped -> SKIPPED"},
		{NoneSkipped, "SFU", Run, "upstream_done, none skipped"},
		{NoneSkipped, "Kr", Skip, "flag sets SKIPPED before the running upstream ends"},
		{NoneSkipped, "Sr", Wait, "not upstream_done"},
		{NoneSkipped, "SR", Run, "removed is done and not skipped"},
		// always
		{Always, "SSS", Run, "TR.ALWAYS passes without evaluation"},
		{Always, "FFF", Run, "TR.ALWAYS"},
		{Always, "KKK", Run, "TR.ALWAYS"},
		{Always, "rq", Run, "TR.ALWAYS does not wait"},
		{Always, "UR", Run, "TR.ALWAYS"},
	}
	covered := map[TriggerRule]int{}
	for _, tc := range cases {
		covered[tc.rule]++
		t.Run(fmt.Sprintf("%s/%s", tc.rule, tc.ups), func(t *testing.T) {
			c := CountUpstream(upstreamStates(t, tc.ups))
			got, reason := tc.rule.Evaluate(c)
			if got != tc.want {
				t.Fatalf("Evaluate(%+v) = %v (%s), want %v: Airflow %s", c, got, reason, tc.want, tc.why)
			}
			if reason == "" || strings.Contains(reason, "%!") {
				t.Errorf("bad reason %q", reason)
			}
		})
	}
	for _, r := range TriggerRules {
		if covered[r] < 5 {
			t.Errorf("rule %s has %d rows, want at least all success, all failed, all skipped, a mix and an unfinished one", r, covered[r])
		}
	}
}

func TestEvaluateNoUpstreamRuns(t *testing.T) {
	for _, r := range append(TriggerRules, TriggerRule("bogus")) {
		if d, reason := r.Evaluate(UpstreamCounts{}); d != Run {
			t.Errorf("%s with no upstream = %v (%s), want run", r, d, reason)
		}
	}
}

func TestEvaluateUnknownRuleWaits(t *testing.T) {
	d, reason := TriggerRule("sometimes").Evaluate(CountUpstream([]TaskInstanceState{StateSuccess}))
	if d != Wait || !strings.Contains(reason, "sometimes") {
		t.Errorf("got %v %q, want a Wait naming the rule", d, reason)
	}
}

func TestEvaluateReasons(t *testing.T) {
	cases := []struct {
		rule TriggerRule
		ups  string
		want string
	}{
		{AllSuccess, "Srr", "waiting for 2 of 3 upstream tasks to succeed"},
		{AllSuccess, "SSS", "all 3 upstream tasks succeeded"},
		{AllSuccess, "S", "the only upstream task succeeded"},
		{AllSuccess, "SFr", "1 of 3 upstream tasks failed or was upstream_failed; all_success needs every upstream task to succeed"},
		{AllSuccess, "KKr", "2 of 3 upstream tasks were skipped"},
		{AllSuccess, "SR", "1 of 2 upstream tasks was removed, so all_success can never be met (the run is deadlocked)"},
		{AllDone, "Sqr", "waiting for 2 of 3 upstream tasks to finish"},
		{OneSuccess, "Fr", "waiting for one of 2 upstream tasks to succeed (1 still unfinished)"},
		{OneFailed, "r", "waiting for the only upstream task to fail (1 still unfinished)"},
	}
	for _, tc := range cases {
		_, got := tc.rule.Evaluate(CountUpstream(upstreamStates(t, tc.ups)))
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s %s: reason %q, want it to contain %q", tc.rule, tc.ups, got, tc.want)
		}
	}
}

// airflowReference transcribes Airflow 2.x _evaluate_direct_relatives as written: first the
// flag_upstream_failed block that may set a new state, then the failing-status checks. It is
// deliberately shaped like the Python, not like Evaluate.
func airflowReference(r TriggerRule, c UpstreamCounts) Decision {
	upstream, success, skipped, failed, upstreamFailed := c.Total, c.Success, c.Skipped, c.Failed, c.UpstreamFailed
	done := c.Done()
	if upstream == 0 || r == Always {
		return Run
	}
	upstreamDone := done >= upstream
	newState := Wait // Wait stands for "no new state"
	switch r {
	case AllSuccess:
		if upstreamFailed > 0 || failed > 0 {
			newState = FailUpstream
		} else if skipped > 0 {
			newState = Skip
		}
	case AllFailed:
		if success > 0 || skipped > 0 {
			newState = Skip
		}
	case OneSuccess:
		if upstreamDone && done == skipped {
			newState = Skip
		} else if upstreamDone && success <= 0 {
			newState = FailUpstream
		}
	case OneFailed:
		if upstreamDone && !(failed > 0 || upstreamFailed > 0) {
			newState = Skip
		}
	case OneDone:
		if upstreamDone && !(failed > 0 || success > 0) {
			newState = Skip
		}
	case NoneFailed:
		if upstreamFailed > 0 || failed > 0 {
			newState = FailUpstream
		}
	case NoneFailedMinOneSuccess:
		if upstreamFailed > 0 || failed > 0 {
			newState = FailUpstream
		} else if skipped == upstream {
			newState = Skip
		}
	case NoneSkipped:
		if skipped > 0 {
			newState = Skip
		}
	case AllSkipped:
		if success > 0 || failed > 0 || upstreamFailed > 0 {
			newState = Skip
		}
	}
	var passed bool
	switch r {
	case OneSuccess:
		passed = success > 0
	case OneFailed:
		passed = failed > 0 || upstreamFailed > 0
	case OneDone:
		passed = success+failed > 0
	case AllSuccess:
		passed = upstream-success <= 0
	case AllFailed:
		passed = upstream-failed-upstreamFailed <= 0
	case AllDone:
		passed = upstreamDone
	case NoneFailed, NoneFailedMinOneSuccess:
		passed = upstream-success-skipped <= 0
	case NoneSkipped:
		passed = upstreamDone && skipped == 0
	case AllSkipped:
		passed = upstream-skipped <= 0
	}
	// A state set by the flag block wins even when the check passes (none_failed_min_one_success
	// with every upstream skipped does both): DagRun._get_ready_tis only schedules a ti whose
	// state is still in SCHEDULEABLE_STATES after are_dependencies_met.
	if newState != Wait {
		return newState
	}
	if passed {
		return Run
	}
	return Wait
}

// TestEvaluateMatchesAirflowExhaustively compares Evaluate with the transcription for every mix
// of up to 6 upstreams over success, skipped, failed, upstream_failed, removed and unfinished.
func TestEvaluateMatchesAirflowExhaustively(t *testing.T) {
	n := 0
	for total := 0; total <= 6; total++ {
		for s := 0; s <= total; s++ {
			for k := 0; s+k <= total; k++ {
				for f := 0; s+k+f <= total; f++ {
					for u := 0; s+k+f+u <= total; u++ {
						for rm := 0; s+k+f+u+rm <= total; rm++ {
							c := UpstreamCounts{Total: total, Success: s, Skipped: k, Failed: f, UpstreamFailed: u, Removed: rm}
							for _, r := range TriggerRules {
								n++
								got, reason := r.Evaluate(c)
								if want := airflowReference(r, c); got != want {
									t.Errorf("%s %+v: Evaluate = %v (%s), Airflow = %v", r, c, got, reason, want)
								}
								if got == Wait && c.Done() >= c.Total && !strings.Contains(reason, "deadlocked") {
									t.Errorf("%s %+v: a Wait with every upstream done must say the run is deadlocked: %q", r, c, reason)
								}
							}
						}
					}
				}
			}
		}
	}
	if n < 10000 {
		t.Fatalf("only %d combinations checked", n)
	}
}

func TestCountUpstream(t *testing.T) {
	c := CountUpstream(upstreamStates(t, "SSFKURrqny"))
	want := UpstreamCounts{Total: 10, Success: 2, Skipped: 1, Failed: 1, UpstreamFailed: 1, Removed: 1}
	if c != want {
		t.Fatalf("CountUpstream = %+v, want %+v", c, want)
	}
	if c.Done() != 6 {
		t.Errorf("Done = %d, want 6", c.Done())
	}
	for _, s := range TaskInstanceStates {
		one := CountUpstream([]TaskInstanceState{s})
		if (one.Done() == 1) != s.Finished() {
			t.Errorf("state %s: Done %d disagrees with Finished %v", s, one.Done(), s.Finished())
		}
	}
}

func TestDecisionStrings(t *testing.T) {
	for d, want := range map[Decision]string{Wait: "wait", Run: "run", Skip: "skipped", FailUpstream: "upstream_failed"} {
		if d.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(d), d.String(), want)
		}
	}
	if s, ok := Skip.State(); !ok || s != StateSkipped {
		t.Errorf("Skip.State() = %v %v", s, ok)
	}
	if s, ok := FailUpstream.State(); !ok || s != StateUpstreamFailed {
		t.Errorf("FailUpstream.State() = %v %v", s, ok)
	}
	if s, ok := Run.State(); !ok || s != StateScheduled {
		t.Errorf("Run.State() = %v %v", s, ok)
	}
	if _, ok := Wait.State(); ok {
		t.Error("Wait.State() must report no change")
	}
}

// BenchmarkEvaluate100k makes 100,000 decisions per iteration over a spread of rules and upstream
// mixes, reasons included, and reports decisions per second.
func BenchmarkEvaluate100k(b *testing.B) {
	var inputs []struct {
		r TriggerRule
		c UpstreamCounts
	}
	for i := 0; len(inputs) < 100_000; i++ {
		total := 1 + i%7
		c := UpstreamCounts{Total: total}
		left := total
		for j, p := range []*int{&c.Success, &c.Skipped, &c.Failed, &c.UpstreamFailed, &c.Removed} {
			n := (i / (j + 3)) % (left + 1)
			*p, left = n, left-n
		}
		inputs = append(inputs, struct {
			r TriggerRule
			c UpstreamCounts
		}{TriggerRules[i%len(TriggerRules)], c})
	}
	b.ReportAllocs()
	b.ResetTimer()
	var runs int
	for b.Loop() {
		for _, in := range inputs {
			if d, _ := in.r.Evaluate(in.c); d == Run {
				runs++
			}
		}
	}
	b.ReportMetric(float64(len(inputs))*float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	if runs == 0 {
		b.Fatal("no decision was Run")
	}
}
