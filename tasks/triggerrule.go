package tasks

import "fmt"

// UpstreamCounts counts a task's DIRECT upstream task instances by state. Total counts every
// direct upstream, finished or not; the other fields count finished ones only, so Total-Done()
// upstreams are still unfinished (none, scheduled, queued, running, up_for_retry, ...).
type UpstreamCounts struct{ Total, Success, Skipped, Failed, UpstreamFailed, Removed int }

// Done is the number of finished upstreams: success+skipped+failed+upstream_failed+removed,
// Airflow's State.finished.
func (c UpstreamCounts) Done() int {
	return c.Success + c.Skipped + c.Failed + c.UpstreamFailed + c.Removed
}

// CountUpstream counts the states of a task's direct upstream task instances. States outside
// Airflow's finished set only add to Total.
func CountUpstream(states []TaskInstanceState) UpstreamCounts {
	c := UpstreamCounts{Total: len(states)}
	for _, s := range states {
		switch s {
		case StateSuccess:
			c.Success++
		case StateSkipped:
			c.Skipped++
		case StateFailed:
			c.Failed++
		case StateUpstreamFailed:
			c.UpstreamFailed++
		case StateRemoved:
			c.Removed++
		}
	}
	return c
}

// Decision is what the scheduler does with a task instance whose dependencies it evaluated.
type Decision int

const (
	Wait         Decision = iota // leave the task as it is; its upstreams may still change
	Run                          // the trigger rule is met: the task may be scheduled
	Skip                         // set the task to skipped
	FailUpstream                 // set the task to upstream_failed
)

// String names the decision; terminal decisions use the state they lead to.
func (d Decision) String() string {
	switch d {
	case Wait:
		return "wait"
	case Run:
		return "run"
	case Skip:
		return "skipped"
	case FailUpstream:
		return "upstream_failed"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// State is the state the scheduler gives a task instance on this decision: scheduled for Run,
// skipped, upstream_failed; ok is false for Wait, which changes nothing.
func (d Decision) State() (s TaskInstanceState, ok bool) {
	switch d {
	case Run:
		return StateScheduled, true
	case Skip:
		return StateSkipped, true
	case FailUpstream:
		return StateUpstreamFailed, true
	}
	return "", false
}

// Evaluate decides what a task whose direct upstreams are in the given states should do, with
// the semantics of Airflow 2.x TriggerRuleDep._evaluate_direct_relatives in the scheduler's mode
// (flag_upstream_failed=True) for an unmapped task: a task is set to skipped or upstream_failed
// as soon as its rule can no longer be met in the way Airflow detects it, often before every
// upstream has finished. reason explains the decision in one sentence for the UI.
//
// removed upstreams count as done (so all_done, none_skipped and the one_* rules may go ahead)
// but as neither success, skipped nor failed. A rule that needs every upstream in particular
// states (all_success, all_failed, all_skipped, none_failed, none_failed_min_one_success) is
// then never met and nothing marks the task either: Evaluate returns Wait with every upstream
// done. Airflow's scheduler reports such a run as deadlocked and fails it; the reason says so.
func (r TriggerRule) Evaluate(c UpstreamCounts) (d Decision, reason string) {
	if c.Total <= 0 {
		return Run, "the task has no upstream tasks"
	}
	if r == Always {
		return Run, "trigger rule always runs the task at once"
	}
	done := c.Done()
	allDone := done >= c.Total
	failed := c.Failed + c.UpstreamFailed
	switch r {
	case AllSuccess:
		switch {
		case failed > 0:
			return FailUpstream, fmt.Sprintf("%s failed or %s upstream_failed; all_success needs every upstream task to succeed", ofUpstream(failed, c.Total), wasWere(failed))
		case c.Skipped > 0:
			return Skip, fmt.Sprintf("%s %s skipped; all_success needs every upstream task to succeed", ofUpstream(c.Skipped, c.Total), wasWere(c.Skipped))
		case c.Success >= c.Total:
			return Run, fmt.Sprintf("%s succeeded", allUpstream(c.Total))
		}
		return waitFor(c, allDone, c.Total-c.Success, "succeed", r)
	case AllFailed:
		switch {
		case c.Success+c.Skipped > 0:
			return Skip, fmt.Sprintf("%s succeeded or %s skipped; all_failed needs every upstream task to fail", ofUpstream(c.Success+c.Skipped, c.Total), wasWere(c.Success+c.Skipped))
		case failed >= c.Total:
			return Run, fmt.Sprintf("%s failed or %s upstream_failed", allUpstream(c.Total), wasWere(c.Total))
		}
		return waitFor(c, allDone, c.Total-failed, "fail", r)
	case AllDone:
		if allDone {
			return Run, fmt.Sprintf("%s finished", allUpstream(c.Total))
		}
		return Wait, fmt.Sprintf("waiting for %d of %s to finish", c.Total-done, upstreamTaskCount(c.Total))
	case AllSkipped:
		switch {
		case c.Success+failed > 0:
			return Skip, fmt.Sprintf("%s succeeded, failed or %s upstream_failed; all_skipped needs every upstream task to be skipped", ofUpstream(c.Success+failed, c.Total), wasWere(c.Success+failed))
		case c.Skipped >= c.Total:
			return Run, fmt.Sprintf("%s %s skipped", allUpstream(c.Total), wasWere(c.Total))
		}
		return waitFor(c, allDone, c.Total-c.Skipped, "be skipped", r)
	case OneSuccess:
		switch {
		case c.Success > 0:
			return Run, fmt.Sprintf("%s succeeded", ofUpstream(c.Success, c.Total))
		case allDone && done == c.Skipped:
			return Skip, fmt.Sprintf("%s %s skipped; one_success needs one to succeed", allUpstream(c.Total), wasWere(c.Total))
		case allDone:
			return FailUpstream, fmt.Sprintf("%s finished and none succeeded; one_success needs one to succeed", allUpstream(c.Total))
		}
		return Wait, fmt.Sprintf("waiting for %s to succeed (%d still unfinished)", oneUpstream(c.Total), c.Total-done)
	case OneFailed:
		switch {
		case failed > 0:
			return Run, fmt.Sprintf("%s failed or %s upstream_failed", ofUpstream(failed, c.Total), wasWere(failed))
		case allDone:
			return Skip, fmt.Sprintf("%s finished and none failed; one_failed needs one to fail", allUpstream(c.Total))
		}
		return Wait, fmt.Sprintf("waiting for %s to fail (%d still unfinished)", oneUpstream(c.Total), c.Total-done)
	case OneDone:
		switch {
		case c.Success+c.Failed > 0:
			return Run, fmt.Sprintf("%s succeeded or failed", ofUpstream(c.Success+c.Failed, c.Total))
		case allDone:
			return Skip, fmt.Sprintf("%s finished and none succeeded or failed; one_done needs one to succeed or fail", allUpstream(c.Total))
		}
		return Wait, fmt.Sprintf("waiting for %s to succeed or fail (%d still unfinished)", oneUpstream(c.Total), c.Total-done)
	case NoneFailed, NoneFailedMinOneSuccess:
		switch {
		case failed > 0:
			return FailUpstream, fmt.Sprintf("%s failed or %s upstream_failed; %s needs none to fail", ofUpstream(failed, c.Total), wasWere(failed), r)
		case r == NoneFailedMinOneSuccess && c.Skipped >= c.Total:
			// Airflow both sets skipped here and passes the check; the state wins, since
			// DagRun._get_ready_tis only schedules a ti still in a schedulable state.
			return Skip, fmt.Sprintf("%s %s skipped; none_failed_min_one_success needs one to succeed", allUpstream(c.Total), wasWere(c.Total))
		case c.Success+c.Skipped >= c.Total:
			return Run, fmt.Sprintf("%s succeeded or %s skipped", allUpstream(c.Total), wasWere(c.Total))
		}
		return waitFor(c, allDone, c.Total-c.Success-c.Skipped, "succeed or be skipped", r)
	case NoneSkipped:
		switch {
		case c.Skipped > 0:
			return Skip, fmt.Sprintf("%s %s skipped; none_skipped needs none to be skipped", ofUpstream(c.Skipped, c.Total), wasWere(c.Skipped))
		case allDone:
			return Run, fmt.Sprintf("%s finished and none was skipped", allUpstream(c.Total))
		}
		return Wait, fmt.Sprintf("waiting for %d of %s to finish", c.Total-done, upstreamTaskCount(c.Total))
	}
	return Wait, fmt.Sprintf("no way to evaluate trigger rule %q", string(r))
}

// waitFor explains a Wait of a rule that needs n more upstreams to reach some state. When every
// upstream is done the rule can no longer be met (removed upstreams): Airflow's deadlock.
func waitFor(c UpstreamCounts, allDone bool, n int, verb string, r TriggerRule) (Decision, string) {
	if allDone {
		return Wait, fmt.Sprintf("%s %s removed, so %s can never be met (the run is deadlocked)", ofUpstream(c.Removed, c.Total), wasWere(c.Removed), r)
	}
	return Wait, fmt.Sprintf("waiting for %d of %s to %s", n, upstreamTaskCount(c.Total), verb)
}

// ofUpstream reads "1 of 3 upstream tasks".
func ofUpstream(n, total int) string { return fmt.Sprintf("%d of %s", n, upstreamTaskCount(total)) }

// allUpstream reads "all 3 upstream tasks", or "the only upstream task".
func allUpstream(n int) string {
	if n == 1 {
		return "the only upstream task"
	}
	return "all " + upstreamTaskCount(n)
}

// oneUpstream reads "one of 3 upstream tasks", or "the only upstream task".
func oneUpstream(n int) string {
	if n == 1 {
		return "the only upstream task"
	}
	return "one of " + upstreamTaskCount(n)
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func upstreamTaskCount(n int) string {
	if n == 1 {
		return "1 upstream task"
	}
	return fmt.Sprintf("%d upstream tasks", n)
}
