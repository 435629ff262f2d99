package scheduler

import (
	"cmp"
	"slices"
)

// changeSet collects a step's writes; a task instance or run changed twice is written once.
type changeSet struct {
	runs map[*DagRun]bool
	tis  map[*TaskInstance]bool
	// added are task instances to insert (a mapped task's expansion), with their state as the
	// step leaves it.
	added map[*TaskInstance]bool
	extra Changes
}

func newChangeSet() changeSet {
	return changeSet{runs: map[*DagRun]bool{}, tis: map[*TaskInstance]bool{}, added: map[*TaskInstance]bool{}}
}

func (c *changeSet) expanded(ti *TaskInstance) { c.added[ti] = true }

func (c *changeSet) run(r *DagRun)       { c.runs[r] = true }
func (c *changeSet) ti(ti *TaskInstance) { c.tis[ti] = true }
func (c *changeSet) try(t TaskTry)       { c.extra.Tries = append(c.extra.Tries, t) }
func (c *changeSet) audit(e AuditEvent)  { c.extra.Audit = append(c.extra.Audit, e) }
func (c *changeSet) calls(t TryCalls)    { c.extra.Calls = append(c.extra.Calls, t) }

// clearXComs drops a task instance's XComs before its next try, including any the step was
// about to write from the try that just ended (a retry with no delay).
func (c *changeSet) clearXComs(k TIKey) {
	c.extra.ClearXComs = append(c.extra.ClearXComs, k)
	kept := c.extra.XComs[:0]
	for _, x := range c.extra.XComs {
		if x.DagID != k.DagID || x.RunID != k.RunID || x.TaskID != k.TaskID || x.MapIndex != k.MapIndex {
			kept = append(kept, x)
		}
	}
	c.extra.XComs = kept
}

func (c *changeSet) xcom(x XCom) { c.extra.XComs = append(c.extra.XComs, x) }

func (c *changeSet) take() Changes {
	out := c.extra
	for r := range c.runs {
		out.Runs = append(out.Runs, *r)
	}
	for ti := range c.added {
		out.Expanded = append(out.Expanded, *ti)
	}
	// Inserted in map_index order, so the metastore's rows (and every list read from them in
	// id order) come out in that order too.
	slices.SortFunc(out.Expanded, func(a, b TaskInstance) int {
		return cmp.Or(cmp.Compare(a.DagID, b.DagID), cmp.Compare(a.RunID, b.RunID), cmp.Compare(a.TaskID, b.TaskID), cmp.Compare(a.MapIndex, b.MapIndex))
	})
	for ti := range c.tis {
		if !c.added[ti] {
			out.TaskInstances = append(out.TaskInstances, *ti)
		}
	}
	*c = newChangeSet()
	return out
}
