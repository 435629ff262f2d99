// The graph: the DAG laid out by dagre (left to right, as Airflow draws it), drawn as SVG and
// coloured by the selected run's task instance states. Wheel zooms, drag pans, click a task for
// its details.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import dagre from '@dagrejs/dagre'
import type * as api from '../api'
import { duration } from '../format'
import { href, setQuery, type Route } from '../router'
import { groupState, visibleGraph, type VisibleGraph, type VisibleNode } from '../groups'
import { mappedSummary, mostPressing, stateColor, stateName } from '../states'
import { ErrorBox, markReady, Spinner, StateBadge, type Loaded } from '../ui'
import { RunPicker, useRunInstances, useSelectedRun } from './RunParts'

interface Box {
  id: string
  x: number
  y: number
  w: number
  h: number
  /** a task, an expanded group's box (drawn behind its children), or a collapsed group */
  kind: VisibleNode['kind']
  label: string
}
interface Edge {
  from: string
  to: string
  d: string
}
export interface Layout {
  nodes: Box[]
  edges: Edge[]
  width: number
  height: number
}

const NODE_H = 38
const GROUP_HEAD = 20 // px above an expanded group's children, for its label

/** dagre layout of the tasks; pure, memoised by the caller on the task list. */
export function layout(tasks: { task_id: string; upstream_task_ids: string[] }[]): Layout {
  return layoutGraph(visibleGraph(tasks, [], new Set()))
}

/** dagre layout of what is visible with some groups collapsed: an expanded group is a
 * compound node around its children, a collapsed one a node like a task's. */
export function layoutGraph(vg: VisibleGraph): Layout {
  const grouped = vg.nodes.some((n) => n.kind === 'group')
  const g = new dagre.graphlib.Graph({ compound: grouped })
  g.setGraph({ rankdir: 'LR', nodesep: grouped ? 28 : 14, ranksep: 48, marginx: 16, marginy: 16 + (grouped ? GROUP_HEAD : 0) })
  g.setDefaultEdgeLabel(() => ({}))
  const ids = new Set(vg.nodes.map((n) => n.id))
  const kind = new Map(vg.nodes.map((n) => [n.id, n]))
  for (const n of vg.nodes) {
    if (n.kind === 'group') g.setNode(n.id, {})
    else g.setNode(n.id, { width: Math.max(90, 7.4 * n.label.length + 34) + (n.kind === 'collapsed' ? 24 : 0), height: NODE_H })
  }
  if (grouped) for (const n of vg.nodes) if (n.parent && ids.has(n.parent)) g.setParent(n.id, n.parent)
  for (const e of vg.edges) if (ids.has(e.from) && ids.has(e.to)) g.setEdge(e.from, e.to)
  dagre.layout(g)
  const nodes = g.nodes().map((id) => {
    const n = g.node(id)
    const v = kind.get(id)!
    // dagre fits a group's box to its children; its label goes in a band above them.
    const head = v.kind === 'group' ? GROUP_HEAD : 0
    return { id, x: n.x - n.width / 2, y: n.y - n.height / 2 - head, w: n.width, h: n.height + head, kind: v.kind, label: v.label }
  })
  // Outer groups first, so that each box is drawn behind what is inside it.
  const depth = (id: string): number => {
    const p = kind.get(id)?.parent
    return p && ids.has(p) ? 1 + depth(p) : 0
  }
  nodes.sort((a, b) => Number(b.kind === 'group') - Number(a.kind === 'group') || depth(a.id) - depth(b.id))
  const edges = g.edges().map((e) => ({ from: e.v, to: e.w, d: pathOf(g.edge(e).points ?? []) }))
  const gg = g.graph()
  return { nodes, edges, width: gg.width ?? 0, height: gg.height ?? 0 }
}

/** A smooth path through dagre's edge points (Catmull-Rom as cubic Béziers). */
function pathOf(p: { x: number; y: number }[]): string {
  if (p.length === 0) return ''
  let d = `M${p[0].x},${p[0].y}`
  for (let i = 0; i < p.length - 1; i++) {
    const p0 = p[i - 1] ?? p[i]
    const p1 = p[i]
    const p2 = p[i + 1]
    const p3 = p[i + 2] ?? p2
    const c1x = p1.x + (p2.x - p0.x) / 6
    const c1y = p1.y + (p2.y - p0.y) / 6
    const c2x = p2.x - (p3.x - p1.x) / 6
    const c2y = p2.y - (p3.y - p1.y) / 6
    d += ` C${c1x},${c1y} ${c2x},${c2y} ${p2.x},${p2.y}`
  }
  return d
}

export function GraphView({ dagId, tasks, groups, route }: { dagId: string; tasks: Loaded<api.Task[]>; groups: api.TaskGroup[]; route: Route }) {
  const sel = useSelectedRun(dagId, route)
  const tis = useRunInstances(dagId, sel.runId)
  const selected = route.query.get('task')
  // Groups start expanded; a click on a group's box collapses it into one node, a click on
  // that node expands it again.
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set())
  const toggle = (id: string) =>
    setCollapsed((c) => {
      const n = new Set(c)
      if (!n.delete(id)) n.add(id)
      return n
    })
  const lay = useMemo(() => (tasks.data ? layoutGraph(visibleGraph(tasks.data, groups, collapsed)) : null), [tasks.data, groups, collapsed])

  // One node per task: a mapped task's instances fold into one, in the most pressing of their
  // states, with their count by state.
  const byTask = useMemo(() => {
    const m = new Map<string, NodeTI>()
    for (const ti of tis.data ?? []) {
      const prev = m.get(ti.task_id)
      if ((ti.map_index ?? -1) < 0 || !prev) {
        m.set(ti.task_id, (ti.map_index ?? -1) < 0 ? ti : { ...ti, mapped: { [stateName(ti.state)]: 1 } })
        continue
      }
      const mapped = { ...prev.mapped, [stateName(ti.state)]: (prev.mapped?.[stateName(ti.state)] ?? 0) + 1 }
      const st = mostPressing(Object.keys(mapped) as api.TaskState[])
      m.set(ti.task_id, { ...prev, state: st === 'none' ? null : st, mapped, duration: Math.max(prev.duration ?? 0, ti.duration ?? 0) })
    }
    return m
  }, [tis.data])

  // Ready once the nodes are drawn with the states of the run (or there is no run).
  const ready = !!lay && !!sel.runs.data && (!sel.runId || !!tis.data || !!tis.error)
  useEffect(() => {
    if (ready) markReady('dag-graph')
  }, [ready])

  const task = selected ? tasks.data?.find((t) => t.task_id === selected) : undefined
  return (
    <div class="graph-tab">
      <div class="toolbar">
        <RunPicker dagId={dagId} sel={sel} />
      </div>
      <ErrorBox error={tasks.error || tis.error || sel.runs.error} />
      {!lay && !tasks.error && <Spinner />}
      <div class="graph-wrap">
        {lay && <GraphSvg lay={lay} byTask={byTask} selected={selected} tasks={tasks.data ?? []} groups={groups} onToggle={toggle} />}
        {task && <TaskPanel dagId={dagId} runId={sel.runId} task={task} ti={byTask.get(task.task_id)} />}
      </div>
    </div>
  )
}

/** Pan and zoom of a laid-out graph in a box: wheel zooms at the pointer, drag pans, and the
 * view fits the box until the reader zooms or pans. Shared by the DAG's graph and the editor's
 * preview. */
export function usePanZoom(lay: { width: number; height: number }) {
  const box = useRef<HTMLDivElement>(null)
  const [view, setView] = useState({ x: 0, y: 0, k: 1 })
  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean } | null>(null)
  const touched = useRef(false)
  const fit = () => {
    const el = box.current
    if (!el) return
    const w = el.clientWidth
    const h = el.clientHeight
    const k = Math.min(1.2, Math.max(0.1, Math.min(w / (lay.width + 20), h / (lay.height + 20))))
    setView({ k, x: (w - lay.width * k) / 2, y: Math.max(0, (h - lay.height * k) / 2) })
  }
  useEffect(() => {
    touched.current = false
    fit()
    const ro = new ResizeObserver(() => !touched.current && fit())
    if (box.current) ro.observe(box.current)
    return () => ro.disconnect()
  }, [lay])

  useEffect(() => {
    const el = box.current
    if (!el) return
    const wheel = (e: WheelEvent) => {
      e.preventDefault()
      touched.current = true
      const r = el.getBoundingClientRect()
      const mx = e.clientX - r.left
      const my = e.clientY - r.top
      setView((v) => {
        const k = Math.min(4, Math.max(0.05, v.k * Math.exp(-e.deltaY * 0.0015)))
        return { k, x: mx - ((mx - v.x) * k) / v.k, y: my - ((my - v.y) * k) / v.k }
      })
    }
    el.addEventListener('wheel', wheel, { passive: false })
    return () => el.removeEventListener('wheel', wheel)
  }, [])

  const zoom = (f: number) => {
    touched.current = true
    setView((v) => ({ ...v, k: v.k * f }))
  }
  return {
    box,
    transform: `translate(${view.x},${view.y}) scale(${view.k})`,
    /** handlers for the box */
    bind: {
      onMouseDown: (e: MouseEvent) => {
        if ((e.target as Element).closest('.graph-controls')) return
        drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false }
      },
      onMouseMove: (e: MouseEvent) => {
        const d = drag.current
        if (!d) return
        if (Math.abs(e.clientX - d.x) + Math.abs(e.clientY - d.y) > 3) d.moved = true
        if (d.moved) {
          touched.current = true
          setView((v) => ({ ...v, x: d.vx + e.clientX - d.x, y: d.vy + e.clientY - d.y }))
        }
      },
      onMouseLeave: () => (drag.current = null),
    },
    /** Ends a press; true when it was a pan rather than a click. */
    endDrag: () => {
      const moved = !!drag.current?.moved
      drag.current = null
      return moved
    },
    zoom,
    fit: () => {
      touched.current = false
      fit()
    },
  }
}

/** A node's task id, and its kind (sensor, branch) under it when it has one. */
export function NodeText({ id, kind, x, h }: { id: string; kind: string; x: number; h: number }) {
  return (
    <>
      <text x={x} y={kind ? 16 : h / 2 + 4} class="node-label">
        {id}
      </text>
      {kind && (
        <text x={x} y="30" class="node-kind">
          {kind}
        </text>
      )}
    </>
  )
}

/** The zoom in / out / fit buttons over a graph. */
export function PanZoomControls({ pz, fitTestid }: { pz: ReturnType<typeof usePanZoom>; fitTestid: string }) {
  return (
    <div class="graph-controls">
      <button class="icon" onClick={() => pz.zoom(1.25)} title="zoom in" aria-label="zoom in">
        +
      </button>
      <button class="icon" onClick={() => pz.zoom(1 / 1.25)} title="zoom out" aria-label="zoom out">
        −
      </button>
      <button class="icon" onClick={pz.fit} title="fit" aria-label="fit the graph" data-testid={fitTestid}>
        ⤢
      </button>
    </div>
  )
}

/** A node's task instance; a mapped task's carries its instances counted by state. */
type NodeTI = api.TaskInstance & { mapped?: Record<string, number> }

function GraphSvg(props: {
  lay: Layout
  byTask: Map<string, NodeTI>
  selected: string | null
  tasks: api.Task[]
  groups: api.TaskGroup[]
  onToggle: (group: string) => void
}) {
  const { lay, byTask, selected, tasks, groups, onToggle } = props
  const pz = usePanZoom(lay)
  const kinds = useMemo(() => new Map(tasks.map((t) => [t.task_id, t])), [tasks])
  const groupById = useMemo(() => new Map(groups.map((g) => [g.group_id, g])), [groups])
  const nodeOf = (e: Event) => (e.target as Element).closest?.('[data-testid="graph-node"]') as SVGGElement | null
  const groupOf = (e: Event) => (e.target as Element).closest?.('[data-testid="graph-group"]') as SVGGElement | null

  return (
    <div
      class="graph"
      ref={pz.box}
      data-testid="graph"
      {...pz.bind}
      onMouseUp={(e) => {
        if (pz.endDrag()) return
        const n = nodeOf(e)
        const g = n ? null : groupOf(e)
        if (g) return onToggle(g.dataset.groupId!)
        setQuery('task', n ? (n.dataset.taskId === selected ? null : n.dataset.taskId!) : null)
      }}
    >
      <PanZoomControls pz={pz} fitTestid="graph-fit" />
      <svg width="100%" height="100%">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow" />
          </marker>
        </defs>
        <g transform={pz.transform}>
          {lay.nodes
            .filter((n) => n.kind === 'group')
            .map((n) => (
              <GroupBox key={n.id} n={n} group={groupById.get(n.id)} byTask={byTask} />
            ))}
          {lay.edges.map((e) => (
            <path key={`${e.from}>${e.to}`} d={e.d} class={`edge${selected && (e.from === selected || e.to === selected) ? ' hot' : ''}`} marker-end="url(#arrow)" data-testid="graph-edge" data-from={e.from} data-to={e.to} />
          ))}
          {lay.nodes.map((n) => {
            if (n.kind === 'group') return null
            if (n.kind === 'collapsed') return <GroupBox key={n.id} n={n} group={groupById.get(n.id)} byTask={byTask} />
            const ti = byTask.get(n.id)
            const s = stateName(ti?.state)
            const t = kinds.get(n.id)
            const kind = t?.is_branch ? 'branch' : t?.is_sensor ? 'sensor' : ''
            return (
              <g
                key={n.id}
                class={`node s-${s}${selected === n.id ? ' sel' : ''}`}
                transform={`translate(${n.x},${n.y})`}
                data-testid="graph-node"
                data-task-id={n.id}
                data-state={s}
                data-mapped={ti?.mapped ? Object.values(ti.mapped).reduce((a, b) => a + b, 0) : undefined}
              >
                <title>{`${n.id}\n${s}${ti?.mapped ? `\n${mappedSummary(ti.mapped)}` : ''}${ti?.duration != null ? `\n${duration(ti.duration)}` : ''}`}</title>
                <rect width={n.w} height={n.h} rx="6" class="node-box" style={s !== 'none' ? `stroke:${stateColor(s)}` : undefined} />
                <rect width="6" height={n.h} rx="3" style={`fill:${stateColor(s)}`} class="node-state" />
                <NodeText id={n.label} kind={kind} x={14} h={n.h} />
                {ti?.mapped && (
                  <text x={n.w - 6} y={n.h - 6} text-anchor="end" class="node-count" data-testid="graph-node-count">
                    [{Object.values(ti.mapped).reduce((a, b) => a + b, 0)}]
                  </text>
                )}
              </g>
            )
          })}
        </g>
      </svg>
    </div>
  )
}

/** A task group: expanded, a box behind its children with its label on top; collapsed, one
 * node with its label, its number of tasks and their summed-up state. A click toggles it. */
function GroupBox({ n, group, byTask }: { n: Box; group?: api.TaskGroup; byTask: Map<string, NodeTI> }) {
  const ids = group?.task_ids ?? []
  const s = stateName(groupState(ids.map((id) => byTask.get(id)?.state)))
  const collapsed = n.kind === 'collapsed'
  const tip = [group?.group_id ?? n.id, group?.tooltip, `${ids.length} task${ids.length === 1 ? '' : 's'}`, s, collapsed ? 'click to expand' : 'click to collapse']
  return (
    <g
      class={`group${collapsed ? ' collapsed' : ''} s-${s}`}
      transform={`translate(${n.x},${n.y})`}
      data-testid="graph-group"
      data-group-id={n.id}
      data-collapsed={String(collapsed)}
      data-state={s}
    >
      <title>{tip.filter(Boolean).join('\n')}</title>
      <rect width={n.w} height={n.h} rx={collapsed ? 6 : 8} class="group-box" style={s !== 'none' ? `stroke:${stateColor(s)}` : undefined} />
      {collapsed ? (
        <>
          <rect width="6" height={n.h} rx="3" style={`fill:${stateColor(s)}`} class="node-state" />
          <text x={14} y={16} class="node-label">
            {n.label}
          </text>
          <text x={14} y={30} class="node-kind">
            {`▸ ${ids.length} task${ids.length === 1 ? '' : 's'}`}
          </text>
        </>
      ) : (
        <text x={8} y={14} class="group-label" data-testid="graph-group-toggle">
          {`▾ ${n.label}`}
        </text>
      )}
    </g>
  )
}

function TaskPanel({ dagId, runId, task, ti }: { dagId: string; runId: string | null; task: api.Task; ti?: NodeTI }) {
  return (
    <aside class="side-panel" data-testid="graph-node-details" data-task-id={task.task_id}>
      <header>
        <h3>{task.task_id}</h3>
        <button class="icon" onClick={() => setQuery('task', null)} aria-label="close">
          ×
        </button>
      </header>
      {ti && (
        <p>
          <StateBadge state={ti.state} testid="graph-node-state" />
          {ti.try_number > 0 && <span class="muted small"> try {ti.try_number}</span>}
          {ti.duration != null && <span class="muted small"> · {duration(ti.duration)}</span>}
        </p>
      )}
      {ti?.mapped && (
        <p class="small" data-testid="graph-node-mapped">
          {mappedSummary(ti.mapped)}
        </p>
      )}
      {ti?.reason && !ti.mapped && <p class="small">{ti.reason}</p>}
      <dl class="facts-list">
        <dt>Kind</dt>
        <dd>{task.is_branch ? 'branch' : task.is_sensor ? 'sensor' : 'module'}</dd>
        {task.task_group && (
          <>
            <dt>Group</dt>
            <dd data-testid="graph-node-group">{task.task_group}</dd>
          </>
        )}
        {task.module && (
          <>
            <dt>Module</dt>
            <dd>
              <code>{task.module}</code>
            </dd>
          </>
        )}
        <dt>Trigger rule</dt>
        <dd>{task.trigger_rule}</dd>
        <dt>Retries</dt>
        <dd>{task.retries}</dd>
        <dt>Pool / queue</dt>
        <dd>
          {task.pool} / {task.queue}
        </dd>
        <dt>Priority weight</dt>
        <dd>{task.priority_weight}</dd>
        <dt>Upstream</dt>
        <dd>{task.upstream_task_ids?.join(', ') || '—'}</dd>
        <dt>Downstream</dt>
        <dd>{task.downstream_task_ids?.join(', ') || '—'}</dd>
      </dl>
      {runId && (
        <a class="button primary" href={href(['dags', dagId, 'runs', runId, 'tasks', task.task_id])} data-testid="open-task-instance">
          Task instance →
        </a>
      )}
    </aside>
  )
}
