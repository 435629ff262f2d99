// The editor's live graph: the tasks of the validation answer (filled also while the file has
// problems), laid out like the DAG's Graph tab. Tasks on a cycle and the links that close it are
// marked; a click selects the task in the form.

import { useMemo } from 'preact/hooks'
import type * as api from '../api'
import { Empty } from '../ui'
import { layout, NodeText, PanZoomControls, usePanZoom } from './Graph'

export function AuthorGraph(props: { tasks: api.DraftTask[]; selected: string | null; onSelect: (id: string) => void }) {
  // Answers come every few keystrokes; lay out again only when the graph itself changed.
  const key = JSON.stringify(props.tasks.map((t) => [t.task_id, t.upstream ?? [], t.kind]))
  const { lay, kinds, scc } = useMemo(() => {
    const tasks = props.tasks.filter((t) => t.task_id !== '')
    return {
      lay: layout(tasks.map((t) => ({ task_id: t.task_id, upstream_task_ids: t.upstream ?? [] }))),
      kinds: new Map(tasks.map((t) => [t.task_id, t])),
      scc: cycles(tasks),
    }
  }, [key])
  const pz = usePanZoom(lay)

  if (lay.nodes.length === 0) return <Empty>No tasks yet: add one under Tasks, or in the YAML.</Empty>

  const onCycle = (from: string, to: string) => scc.has(from) && scc.get(from) === scc.get(to)
  return (
    <div
      class="graph author-graph"
      ref={pz.box}
      data-testid="author-graph"
      data-cycle={String(scc.size > 0)}
      {...pz.bind}
      onMouseUp={(e) => {
        if (pz.endDrag()) return
        const n = (e.target as Element).closest?.('[data-testid="author-node"]') as SVGGElement | null
        if (n?.dataset.taskId) props.onSelect(n.dataset.taskId)
      }}
    >
      <PanZoomControls pz={pz} fitTestid="author-graph-fit" />
      <svg width="100%" height="100%" role="img" aria-label="graph of the DAG being edited">
        <defs>
          <marker id="author-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow" />
          </marker>
          <marker id="author-arrow-cycle" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow cycle" />
          </marker>
        </defs>
        <g transform={pz.transform}>
          {lay.edges.map((e) => {
            const c = onCycle(e.from, e.to)
            return (
              <path
                key={`${e.from}>${e.to}`}
                d={e.d}
                class={`edge${c ? ' cycle' : ''}${props.selected && (e.from === props.selected || e.to === props.selected) ? ' hot' : ''}`}
                marker-end={`url(#author-arrow${c ? '-cycle' : ''})`}
                data-testid="author-edge"
                data-from={e.from}
                data-to={e.to}
                data-cycle={String(c)}
              />
            )
          })}
          {lay.nodes.map((n) => {
            const t = kinds.get(n.id)
            const kind = t && t.kind !== 'module' ? t.kind : ''
            const c = scc.has(n.id)
            return (
              <g
                key={n.id}
                class={`node${c ? ' cycle' : ''}${props.selected === n.id ? ' sel' : ''}`}
                transform={`translate(${n.x},${n.y})`}
                data-testid="author-node"
                data-task-id={n.id}
                data-cycle={String(c)}
              >
                <title>{`${n.id}${kind ? ` (${kind})` : ''}${t?.line ? `\nline ${t.line}` : ''}${c ? '\non a cycle' : ''}`}</title>
                <rect width={n.w} height={n.h} rx="6" class="node-box" />
                <NodeText id={n.id} kind={kind} x={12} h={n.h} />
              </g>
            )
          })}
        </g>
      </svg>
    </div>
  )
}

/**
 * The tasks on a cycle, each mapped to its strongly connected component (Tarjan's algorithm,
 * iterative so a long chain cannot overflow the stack). Only components with a cycle are kept:
 * two or more tasks, or one that lists itself.
 */
export function cycles(tasks: { task_id: string; upstream: string[] | null }[]): Map<string, number> {
  const ids = new Set(tasks.map((t) => t.task_id))
  const down = new Map<string, string[]>()
  for (const id of ids) down.set(id, [])
  const self = new Set<string>()
  for (const t of tasks)
    for (const u of t.upstream ?? []) {
      if (!ids.has(u)) continue
      if (u === t.task_id) self.add(u)
      down.get(u)!.push(t.task_id)
    }
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const out = new Map<string, number>()
  let next = 0
  let comp = 0
  for (const root of ids) {
    if (index.has(root)) continue
    const work: [string, number][] = [[root, 0]]
    while (work.length > 0) {
      const top = work[work.length - 1]
      const [v, i] = top
      if (i === 0) {
        index.set(v, next)
        low.set(v, next)
        next++
        stack.push(v)
        onStack.add(v)
      }
      const ws = down.get(v)!
      if (i < ws.length) {
        top[1] = i + 1
        const w = ws[i]
        if (!index.has(w)) work.push([w, 0])
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
        continue
      }
      work.pop()
      if (work.length > 0) {
        const p = work[work.length - 1][0]
        low.set(p, Math.min(low.get(p)!, low.get(v)!))
      }
      if (low.get(v) === index.get(v)) {
        const members: string[] = []
        let w: string
        do {
          w = stack.pop()!
          onStack.delete(w)
          members.push(w)
        } while (w !== v)
        if (members.length > 1 || self.has(v)) {
          for (const m of members) out.set(m, comp)
          comp++
        }
      }
    }
  }
  return out
}
