package tasks

import (
	"fmt"
	"strings"
)

// link checks upstream references, fills Downstream, rejects cycles and checks branches.
func (p *dagParser) link(upstreamPos map[*Task][]Pos) {
	d := p.dag
	// via records, for the cycle message, which group an expanded upstream link came through.
	via := map[[2]string]string{}
	for _, t := range d.Tasks {
		var kept []string
		seen, written := map[string]bool{}, map[string]bool{}
		for i, u := range t.Upstream {
			at := upstreamPos[t][i]
			if written[u] {
				p.ps.add(at, "task %q lists upstream %q twice", t.TaskID, u)
				continue
			}
			written[u] = true
			if ids, isGroup := p.groupUpstream(t, u, at); isGroup && d.byID[u] == nil {
				for _, id := range ids {
					if !seen[id] {
						seen[id] = true
						kept = append(kept, id)
						via[[2]string{id, t.TaskID}] = u
					}
				}
				continue
			}
			switch {
			case u == t.TaskID:
				p.ps.add(at, "task %q lists itself as upstream; a task cannot depend on itself", u)
			case d.byID[u] == nil:
				hint := p.fullIDHint(t, u)
				if hint == "" {
					hint = suggest(u, upstreamNames(d))
				}
				what := "a task"
				if len(d.Groups) > 0 {
					what = "a task or group"
				}
				p.ps.add(at, "task %q: upstream %q is not %s of this DAG%s", t.TaskID, u, what, hint)
			case seen[u]:
				delete(via, [2]string{u, t.TaskID}) // written itself too: not only through a group
			default:
				seen[u] = true
				kept = append(kept, u)
			}
		}
		t.Upstream = kept
	}
	for _, t := range d.Tasks {
		for _, u := range t.Upstream {
			d.byID[u].Downstream = append(d.byID[u].Downstream, t.TaskID)
		}
	}
	if _, stuck := topoOrder(d.Tasks, d.byID); len(stuck) > 0 {
		cycle := startAtFirst(findCycle(stuck, d.byID), d)
		at := d.byID[cycle[0]].Pos
		p.ps.add(at, "cycle: %s%s; remove one of these upstream links", abbreviate(cycle), throughGroups(cycle, via))
	}
	for _, t := range d.Tasks {
		if t.Branch == nil {
			continue
		}
		ids, literal := literalBranchIDs(t.Branch)
		if !literal {
			continue
		}
		for _, id := range ids {
			if !contains(t.Downstream, id) {
				p.ps.add(t.Branch.Pos, "branch of task %q names %q, which is not one of its direct downstream tasks (%s)", t.TaskID, id, listOrNone(t.Downstream))
			}
		}
	}
}

// startAtFirst rotates a cycle (first id repeated last) to start at the task that comes first
// in the file, so the same cycle is always reported the same way.
func startAtFirst(cycle []string, d *DAG) []string {
	ids := cycle[:len(cycle)-1]
	first := 0
	for i, id := range ids {
		if d.byID[id].Pos.Line < d.byID[ids[first]].Pos.Line {
			first = i
		}
	}
	out := append(append([]string{}, ids[first:]...), ids[:first]...)
	return append(out, out[0])
}

// abbreviate joins a cycle's ids, keeping the ends of a very long one readable.
func abbreviate(ids []string) string {
	if len(ids) <= 12 {
		return strings.Join(ids, " -> ")
	}
	head, tail := ids[:5], ids[len(ids)-5:]
	return fmt.Sprintf("%s -> ... (%d more) ... -> %s", strings.Join(head, " -> "), len(ids)-10, strings.Join(tail, " -> "))
}

func taskIDs(d *DAG) map[string]bool {
	m := make(map[string]bool, len(d.Tasks))
	for _, t := range d.Tasks {
		m[t.TaskID] = true
	}
	return m
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func listOrNone(ids []string) string {
	if len(ids) == 0 {
		return "it has none"
	}
	return strings.Join(ids, ", ")
}

func joinRules() string {
	names := make([]string, len(TriggerRules))
	for i, r := range TriggerRules {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// ruleNames is the set of trigger rules, for suggest.
func ruleNames() map[string]bool {
	names := make(map[string]bool, len(TriggerRules))
	for _, r := range TriggerRules {
		names[string(r)] = true
	}
	return names
}
