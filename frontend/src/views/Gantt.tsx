// The Gantt chart of one run: each task instance's try on a time axis, a retried task's earlier
// tries drawn lighter before its last. The critical path (the chain of upstreams that the run's
// last task waited for) and the longest bar are marked, which is where the run's time went.

import { useEffect, useMemo, useState } from 'preact/hooks'
import * as api from '../api'
import { dateTime, duration } from '../format'
import { href, navigate, type Route } from '../router'
import { isFinished, stateColor, stateName } from '../states'
import { ErrorBox, markReady, Spinner, useLoad, type Loaded } from '../ui'
import { RunPicker, useRunInstances, useSelectedRun } from './RunParts'

interface Bar {
  ti: api.TaskInstance
  start: number
  end: number
  running: boolean
}

/**
 * The chain of tasks that decided when the run ended: from the instance that ended last, step to
 * the direct upstream that ended last before it started, and so on. Pure, for tests.
 */
export function criticalPath(bars: Map<string, Bar>, upstream: Map<string, string[]>): string[] {
  let cur: Bar | undefined
  for (const b of bars.values()) if (!cur || b.end > cur.end) cur = b
  const path: string[] = []
  const seen = new Set<string>()
  while (cur && !seen.has(cur.ti.task_id)) {
    seen.add(cur.ti.task_id)
    path.push(cur.ti.task_id)
    let next: Bar | undefined
    for (const u of upstream.get(cur.ti.task_id) ?? []) {
      const b = bars.get(u)
      if (b && b.end <= cur.start + 1000 && (!next || b.end > next.end)) next = b
    }
    cur = next
  }
  return path.reverse()
}

export function GanttView({ dagId, tasks, route }: { dagId: string; tasks: Loaded<api.Task[]>; route: Route }) {
  const sel = useSelectedRun(dagId, route)
  const tis = useRunInstances(dagId, sel.runId)
  const [now, setNow] = useState(Date.now())

  // The earlier tries of the retried instances, read once their instances are known (the key
  // changes when a try is added, so a new retry is read too).
  const retried = (tis.data ?? []).filter((t) => t.try_number > 1)
  const retriedKey = retried.map((t) => `${t.task_id}/${t.map_index}/${t.try_number}`).join(',')
  const earlier = useLoad(
    () =>
      Promise.all(
        retried.map((t) =>
          api.tries(dagId, t.dag_run_id, t.task_id, t.map_index).then((r) => (r.task_instances ?? []).filter((x) => x.try_number < t.try_number && x.start_date)),
        ),
      ).then((l) => l.flat()),
    [dagId, sel.runId, retriedKey],
  )

  const order = useMemo(() => new Map((tasks.data ?? []).map((t, i) => [t.task_id, i])), [tasks.data])
  const upstream = useMemo(() => new Map((tasks.data ?? []).map((t) => [t.task_id, t.upstream_task_ids ?? []])), [tasks.data])

  const bars = useMemo(() => {
    const out: Bar[] = []
    for (const ti of tis.data ?? []) {
      if (!ti.start_date) continue
      const start = Date.parse(ti.start_date)
      const running = !ti.end_date && !isFinished(ti.state)
      const end = ti.end_date ? Date.parse(ti.end_date) : running ? now : start
      out.push({ ti, start, end: Math.max(end, start), running })
    }
    out.sort((a, b) => (order.get(a.ti.task_id) ?? 0) - (order.get(b.ti.task_id) ?? 0) || a.start - b.start)
    return out
  }, [tis.data, order, now])

  // Running bars grow with the clock; the ticker runs only while something runs.
  const anyRunning = bars.some((b) => b.running)
  useEffect(() => {
    if (!anyRunning) return
    const t = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(t)
  }, [anyRunning])

  const ready = !!sel.runs.data && (!sel.runId || !!tis.data || !!tis.error)
  useEffect(() => {
    if (ready) markReady('dag-gantt')
  }, [ready])

  const byTask = useMemo(() => new Map(bars.map((b) => [b.ti.task_id, b])), [bars])
  const critical = useMemo(() => new Set(criticalPath(byTask, upstream)), [byTask, upstream])
  // The one longest bar: marking several made every bar of a short run "longest".
  const longest = useMemo(() => {
    let best: Bar | undefined
    for (const b of bars) if (b.end > b.start && (!best || b.end - b.start > best.end - best.start)) best = b
    return best
  }, [bars])

  const tries = useMemo(() => {
    const out = new Map<string, { start: number; end: number; t: api.TaskTry }[]>()
    for (const t of earlier.data ?? []) {
      const start = Date.parse(t.start_date!)
      const end = t.end_date ? Math.max(start, Date.parse(t.end_date)) : start
      out.set(t.task_id, [...(out.get(t.task_id) ?? []), { start, end, t }].sort((a, b) => a.start - b.start))
    }
    return out
  }, [earlier.data])
  const starts = [...bars.map((b) => b.start), ...[...tries.values()].flat().map((t) => t.start)]
  const t0 = Math.min(...starts)
  const t1 = Math.max(...bars.map((b) => b.end))
  const span = Math.max(10, t1 - t0)
  const ticks = bars.length ? axisTicks(span) : []
  const critTotal = [...critical].reduce((s, id) => {
    const b = byTask.get(id)
    return s + (b ? b.end - b.start : 0)
  }, 0)
  const notStarted = (tis.data ?? []).filter((t) => !t.start_date).length

  return (
    <div class="gantt-tab">
      <div class="toolbar">
        <RunPicker dagId={dagId} sel={sel} />
      </div>
      <ErrorBox error={tis.error || sel.runs.error} />
      {tis.data === undefined && !tis.error && sel.runId && <Spinner />}
      {tis.data && bars.length === 0 && <div class="empty">No task of this run has started yet.</div>}
      {bars.length > 0 && (
        <>
          <div class="gantt-summary small">
            <span>
              {dateTime(new Date(t0).toISOString())} → {dateTime(new Date(t1).toISOString())} ({duration(span / 1000)})
            </span>
            {critical.size > 1 && (
              <span data-testid="gantt-critical-path">
                <span class="crit-swatch" /> critical path: {[...critical].join(' → ')} ({duration(critTotal / 1000)} of work)
              </span>
            )}
            {notStarted > 0 && <span class="muted">{notStarted} not started</span>}
          </div>
          <div class="gantt" data-testid="gantt">
            <div class="gantt-axis">
              <div class="gantt-label" />
              <div class="gantt-track">
                {ticks.map((t) => (
                  <span class="tick" style={`left:${(t / span) * 100}%`}>
                    {t === 0 ? '0' : duration(t / 1000)}
                  </span>
                ))}
              </div>
            </div>
            {bars.map((b) => {
              const s = stateName(b.ti.state)
              const left = ((b.start - t0) / span) * 100
              const width = ((b.end - b.start) / span) * 100
              const crit = critical.has(b.ti.task_id)
              const long = b === longest
              const tip = `${b.ti.task_id}\n${s}\nstart ${dateTime(b.ti.start_date)}\n${b.ti.end_date ? `end ${dateTime(b.ti.end_date)}\n` : ''}duration ${duration((b.end - b.start) / 1000)}${b.ti.try_number > 1 ? `\ntry ${b.ti.try_number}` : ''}`
              return (
                <div class={`gantt-row${crit ? ' crit' : ''}`}>
                  <div class="gantt-label" title={b.ti.task_id}>
                    {b.ti.task_id}
                  </div>
                  <div class="gantt-track">
                    {ticks.map((t) => (
                      <span class="grid-line" style={`left:${(t / span) * 100}%`} />
                    ))}
                    {b.ti.map_index < 0 &&
                      (tries.get(b.ti.task_id) ?? []).map((p) => (
                        <div
                          class="gantt-bar earlier-try"
                          style={`left:${((p.start - t0) / span) * 100}%;width:max(3px,${((p.end - p.start) / span) * 100}%);background:${stateColor(p.t.state)}`}
                          title={`${b.ti.task_id}\ntry ${p.t.try_number}: ${stateName(p.t.state)}\nstart ${dateTime(p.t.start_date)}\nduration ${duration((p.end - p.start) / 1000)}`}
                          data-testid="gantt-try"
                          data-task-id={b.ti.task_id}
                          data-try={p.t.try_number}
                          data-state={stateName(p.t.state)}
                          onClick={() => navigate(href(['dags', dagId, 'runs', b.ti.dag_run_id, 'tasks', b.ti.task_id], { try: p.t.try_number }))}
                        />
                      ))}
                    <div
                      class={`gantt-bar${crit ? ' crit' : ''}${long ? ' long' : ''}${b.running ? ' running' : ''}`}
                      style={`left:${left}%;width:max(3px,${width}%);background:${stateColor(s)}`}
                      title={tip}
                      data-testid="gantt-bar"
                      data-task-id={b.ti.task_id}
                      data-state={s}
                      data-critical={String(crit)}
                      data-longest={String(long)}
                      onClick={() => navigate(href(['dags', dagId, 'runs', b.ti.dag_run_id, 'tasks', b.ti.task_id]))}
                    />
                    <span class="gantt-dur" style={`left:calc(${left + width}% + 6px)`}>
                      {duration((b.end - b.start) / 1000)}
                      {long && <span class="longest"> longest</span>}
                    </span>
                  </div>
                </div>
              )
            })}
          </div>
        </>
      )}
    </div>
  )
}

/** About six round tick offsets (ms) across a span. */
function axisTicks(span: number): number[] {
  const steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400].map((s) => s * 1000)
  const step = steps.find((s) => span / s <= 7) ?? steps[steps.length - 1]
  const out: number[] = []
  for (let t = 0; t <= span; t += step) out.push(t)
  return out
}
