// Task groups in the views: which nodes the graph draws when some groups are collapsed (a
// collapsed group is one node, the edges of its tasks merged into it), which rows the grid
// shows when some are folded, and a group's state summed up from its tasks' (Airflow's).

import type { TaskGroup, TaskState } from './api'

export interface GroupedTask {
  task_id: string
  upstream_task_ids: string[]
  label?: string
  group_path?: string[]
}

/** A node the graph draws: a task, an expanded group (a box around its children), or a
 * collapsed group (one node). parent is the expanded group it is drawn inside. */
export interface VisibleNode {
  id: string
  kind: 'task' | 'group' | 'collapsed'
  label: string
  parent?: string
}

export interface VisibleGraph {
  nodes: VisibleNode[]
  edges: { from: string; to: string }[]
}

/** The outermost collapsed group on a task's path, or the task itself: what it is drawn as. */
function shownAs(path: string[], self: string, collapsed: Set<string>): string {
  for (const g of path) if (collapsed.has(g)) return g
  return self
}

/** The ids of a group and all its ancestors, the outermost first. */
function pathOfGroup(id: string, byId: Map<string, TaskGroup>): string[] {
  const out: string[] = []
  for (let g = byId.get(id); g && out.length <= byId.size; g = g.parent_group_id ? byId.get(g.parent_group_id) : undefined) out.unshift(g.group_id)
  return out
}

/** The nodes and edges to draw with the given groups collapsed. A group without tasks is
 * always drawn collapsed: a box around nothing. Edges between the same two nodes are merged,
 * and those inside one collapsed group dropped. */
export function visibleGraph(tasks: GroupedTask[], groups: TaskGroup[], collapsed: Set<string>): VisibleGraph {
  const byId = new Map(groups.map((g) => [g.group_id, g]))
  const shut = new Set(collapsed)
  for (const g of groups) if (g.task_ids.length === 0) shut.add(g.group_id)
  const nodes: VisibleNode[] = []
  for (const g of groups) {
    const path = pathOfGroup(g.group_id, byId)
    if (shownAs(path.slice(0, -1), g.group_id, shut) !== g.group_id) continue // inside a collapsed one
    nodes.push({ id: g.group_id, kind: shut.has(g.group_id) ? 'collapsed' : 'group', label: g.label, parent: g.parent_group_id ?? undefined })
  }
  const as = new Map<string, string>()
  for (const t of tasks) {
    const path = t.group_path ?? []
    const v = shownAs(path, t.task_id, shut)
    as.set(t.task_id, v)
    if (v === t.task_id) nodes.push({ id: t.task_id, kind: 'task', label: path.length ? (t.label ?? t.task_id) : t.task_id, parent: path[path.length - 1] })
  }
  const seen = new Set<string>()
  const edges: { from: string; to: string }[] = []
  for (const t of tasks)
    for (const u of t.upstream_task_ids ?? []) {
      const from = as.get(u)
      const to = as.get(t.task_id)!
      if (!from || from === to || seen.has(`${from}>${to}`)) continue
      seen.add(`${from}>${to}`)
      edges.push({ from, to })
    }
  return { nodes, edges }
}

/** A row of the grid: a group's (its cells sum its tasks up) or a task's (its index in the
 * grid's tasks). depth is how many groups it is inside. */
export type GridRow = { kind: 'group'; group: TaskGroup; depth: number; tasks: number[] } | { kind: 'task'; task: number; depth: number }

/** The grid's rows: each group's row above its tasks and child groups, in the order the tasks
 * come (a group is placed where its first task is); a folded group's row hides what is in it. */
export function gridRows(tasks: GroupedTask[], groups: TaskGroup[], folded: Set<string>): GridRow[] {
  const byId = new Map(groups.map((g) => [g.group_id, g]))
  const index = new Map(tasks.map((t, i) => [t.task_id, i]))
  const rows: GridRow[] = []
  const placed = new Set<string>()
  const hidden = (path: string[]) => path.some((g) => folded.has(g))
  const place = (id: string) => {
    const path = pathOfGroup(id, byId)
    for (let i = 0; i < path.length; i++) {
      const gid = path[i]
      if (placed.has(gid)) continue
      placed.add(gid)
      if (hidden(path.slice(0, i))) continue
      const g = byId.get(gid)!
      rows.push({ kind: 'group', group: g, depth: i, tasks: g.task_ids.map((t) => index.get(t)).filter((x): x is number => x !== undefined) })
    }
  }
  tasks.forEach((t, i) => {
    const path = t.group_path ?? []
    if (path.length) place(path[path.length - 1])
    if (!hidden(path)) rows.push({ kind: 'task', task: i, depth: path.length })
  })
  for (const g of groups) if (!placed.has(g.group_id)) place(g.group_id) // groups without tasks last
  return rows
}

// Airflow's order for a task group's summary state (airflow/utils/state.py STATE_PRIORITY):
// the first one any of its tasks is in is the group's.
const PRIORITY: TaskState[] = ['failed', 'upstream_failed', 'up_for_retry', 'up_for_reschedule', 'queued', 'scheduled', 'deferred', 'running', 'restarting', 'none', 'success', 'skipped', 'removed']

/** A group's state from its tasks' states (null for none). */
export function groupState(states: (TaskState | null | undefined)[]): TaskState | null {
  if (states.length === 0) return null
  const present = new Set(states.map((s) => s ?? 'none'))
  for (const s of PRIORITY) if (present.has(s)) return s === 'none' ? null : s
  return null
}
