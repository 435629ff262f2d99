package scheduler

import (
	"fmt"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// pokeExpr evaluates an expression sensor once.
func (s *Scheduler) pokeExpr(r *activeRun, t *tasks.Task, ti *TaskInstance, now time.Time) {
	s.changes.ti(ti)
	env, vars, err := s.env(r, t, ti)
	ok := false
	if err == nil {
		ok, err = vars.evalBool(t.Sensor.Condition, env)
	}
	switch {
	case err != nil:
		delete(r.poking, t.TaskID)
		s.note(ti, "%s", vars.mask(fmt.Sprintf("sensor %q failed: %v", t.Sensor.Condition.Source, err)))
		s.failTry(r, t, ti, vars.mask("sensor: "+err.Error()), now, false)
	case ok:
		delete(r.poking, t.TaskID)
		s.note(ti, "sensor %q is true", t.Sensor.Condition.Source)
		endTI(ti, tasks.StateSuccess, "", now)
		s.recordTry(r, ti)
	default:
		s.note(ti, "sensor %q is false", t.Sensor.Condition.Source)
		s.sensorNotMet(r, t, ti, now)
	}
}

// sensorNotMet schedules the next poke, or ends the sensor when its timeout (counted from the
// first poke, across retries) has passed: failed with no retry, or skipped with soft_fail.
func (s *Scheduler) sensorNotMet(r *activeRun, t *tasks.Task, ti *TaskInstance, now time.Time) {
	s.changes.ti(ti)
	if ti.FirstPokeAt == nil {
		first := now
		ti.FirstPokeAt = &first
	}
	waited := now.Sub(*ti.FirstPokeAt)
	if waited >= t.Sensor.Timeout {
		delete(r.poking, t.TaskID)
		reason := fmt.Sprintf("sensor timed out after %s", t.Sensor.Timeout)
		s.note(ti, "%s (counted from the first poke)", reason)
		if t.Sensor.SoftFail {
			endTI(ti, tasks.StateSkipped, reason+" (soft_fail)", now)
			s.recordTry(r, ti)
			return
		}
		s.failTry(r, t, ti, reason, now, true)
		return
	}
	r.pokes[t.TaskID]++
	next := now.Add(t.SensorPokeDelay(r.dag.DagID, r.run.LogicalDate, waited, r.pokes[t.TaskID]))
	if deadline := ti.FirstPokeAt.Add(t.Sensor.Timeout); next.After(deadline) {
		next = deadline // poke once more right at the timeout
	}
	ti.NextRetryAt = &next
	r.poking[t.TaskID] = true
	s.note(ti, "condition not met yet; next poke at %s", next.UTC().Format(time.RFC3339))
	if t.Sensor.Mode == "reschedule" {
		ti.State = tasks.StateUpForReschedule
	} else {
		ti.State = tasks.StateRunning // poke mode keeps its slot between pokes
	}
	s.wakeRun(r, next)
}
