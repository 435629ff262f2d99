// The grid: tasks down, runs across (oldest left, newest right), one square per task instance.
// Virtualised in both directions, by tiles of TILE × TILE cells: only the tiles in view (and one
// around them) are in the DOM, a tile is drawn once and skipped by later renders until one of
// its cells changes, and scrolling inside the tiles drawn renders nothing at all. So 1,000 runs
// × 100 tasks scroll as smoothly as 25 × 5. Hover and click are one listener on the body.

import { Component } from 'preact'
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'
import * as api from '../api'
import { coalesce, on } from '../events'
import { between, count, dateTime, duration } from '../format'
import { href, setQueries, setQuery, type Route } from '../router'
import { gridRows, groupState, type GridRow } from '../groups'
import { mappedSummary, stateColor, stateName, TASK_STATES } from '../states'
import { ErrorBox, markReady, Spinner, StateBadge } from '../ui'
import { GridPanel } from './GridPanel'
import { RunActions } from './RunParts'

const ROW = 22 // px per task row
const COL = 18 // px per run column
const HEAD = 90 // px of the run bars on top, under the date axis
const AXIS = 18 // px of the date axis, the top of the head
const NAMES = 240 // px of the task names on the left
const TILE = 16 // cells per tile side
const SIZES = [25, 50, 100, 365, 1000]

/** The tiles in the DOM: columns [c0, c1) and rows [r0, r1), counted in tiles. */
interface Window {
  r0: number
  r1: number
  c0: number
  c1: number
}

const tileKey = (tc: number, tr: number) => tc * 100003 + tr

export function GridView({ dagId, route }: { dagId: string; route: Route }) {
  const numRuns = Number(route.query.get('runs') ?? 25) || 25
  const selRun = route.query.get('run')
  const selTask = route.query.get('task')
  // The calendar opens the grid at a day: the runs up to its end.
  const before = route.query.get('before') ?? undefined
  const [grid, setGrid] = useState<api.Grid | null>(null)
  const [error, setError] = useState('')
  const [version, setVersion] = useState(0) // bumped when cells change in place
  const tileVersions = useRef(new Map<number, number>()) // which tiles those cells are in
  const gen = useRef(0)
  const inFlight = useRef(false) // events during a load may be missing from its answer:
  const dirty = useRef(false) // then load once more after it
  // Task groups are rows that fold: a folded group's row stands for all that is inside it.
  const [folded, setFolded] = useState<Set<string>>(new Set())
  const toggleGroup = (id: string) =>
    setFolded((f) => {
      const n = new Set(f)
      if (!n.delete(id)) n.add(id)
      return n
    })

  const load = async () => {
    const g = ++gen.current
    inFlight.current = true
    dirty.current = false
    try {
      const data = await api.grid(dagId, numRuns, before)
      if (g !== gen.current) return
      setGrid(data)
      setError('')
    } catch (e) {
      if (g === gen.current) setError(api.errorText(e))
    } finally {
      if (g === gen.current) {
        inFlight.current = false
        markReady('dag-grid')
        if (dirty.current) setTimeout(load, 500)
      }
    }
  }

  useEffect(() => {
    setGrid(null)
    load()
  }, [dagId, numRuns, before])

  const rows = useMemo(() => (grid ? gridRows(grid.tasks, grid.task_groups ?? [], folded) : []), [grid, folded])

  // Index of runs and tasks, for applying events in O(1); rowsOf are the rows a task's cell
  // changes: its own and its groups' that are shown.
  const index = useMemo(() => {
    const runs = new Map<string, number>()
    const tasks = new Map<string, number>()
    const rowsOf = new Map<number, number[]>()
    grid?.dag_runs.forEach((r, i) => runs.set(r.dag_run_id, i))
    grid?.tasks.forEach((t, i) => tasks.set(t.task_id, i))
    rows.forEach((row, i) => {
      for (const t of row.kind === 'task' ? [row.task] : row.tasks) rowsOf.set(t, [...(rowsOf.get(t) ?? []), i])
    })
    return { runs, tasks, rowsOf }
  }, [grid, rows])

  // Live: task instance events change one cell in place. A run we do not have reloads the grid,
  // coalesced, when it is new (its dag_run event came first); events of runs older than the
  // grid's window are none of its business.
  const gridRef = useRef(grid)
  gridRef.current = grid
  const indexRef = useRef(index)
  indexRef.current = index
  useEffect(() => {
    const reload = coalesce(load, 700)
    const newRuns = new Set<string>()
    let pending = false
    const bump = () => {
      if (pending) return
      pending = true
      requestAnimationFrame(() => {
        pending = false
        setVersion((v) => v + 1)
      })
    }
    const offs = [
      on('task_instance', (ti) => {
        if (ti.dag_id !== dagId) return
        if (inFlight.current) dirty.current = true
        const g = gridRef.current
        if (!g) return
        const c = indexRef.current.runs.get(ti.dag_run_id)
        const r = indexRef.current.tasks.get(ti.task_id)
        if (c === undefined) return newRuns.has(ti.dag_run_id) ? reload() : undefined
        if (r === undefined) return reload() // a task the grid has not seen: the DAG changed
        // A mapped task's cell counts all its instances: read again, coalesced.
        if (g.tasks[r].is_mapped || (ti.map_index ?? -1) >= 0) return reload()
        g.instances[c][r] = { state: ti.state, try_number: ti.try_number, duration: ti.duration, sla_miss: g.instances[c][r]?.sla_miss }
        for (const row of indexRef.current.rowsOf.get(r) ?? []) {
          const k = tileKey(Math.floor(c / TILE), Math.floor(row / TILE))
          tileVersions.current.set(k, (tileVersions.current.get(k) ?? 0) + 1)
        }
        bump()
      }),
      on('dag_run', (run) => {
        if (run.dag_id !== dagId) return
        if (inFlight.current) dirty.current = true
        const g = gridRef.current
        if (!g) return
        const c = indexRef.current.runs.get(run.dag_run_id)
        if (c === undefined) {
          newRuns.add(run.dag_run_id)
          return reload()
        }
        g.dag_runs[c] = { ...g.dag_runs[c], ...run }
        bump()
      }),
      on('dag', (e) => e.dag_id === dagId && e.is_paused === undefined && reload()),
      on('sla_miss', (e) => e.dag_id === dagId && reload()),
      on('resync', reload),
    ]
    return () => offs.forEach((f) => f())
  }, [dagId, numRuns, before])

  const runs = grid?.dag_runs ?? []
  const sel = selRun ? runs.find((r) => r.dag_run_id === selRun) : undefined
  // The selected task instance's panel; a mapped task's shows its instances' counts.
  const selTaskIdx = selTask && grid ? grid.tasks.findIndex((t) => t.task_id === selTask) : -1
  const selCell = sel && selTaskIdx >= 0 ? grid?.instances[runs.indexOf(sel)]?.[selTaskIdx] : undefined
  const selMapped = selTaskIdx >= 0 && grid?.tasks[selTaskIdx].is_mapped ? (selCell?.mapped_states ?? {}) : undefined

  return (
    <div class="grid-tab">
      <div class="toolbar">
        <label>
          Runs{' '}
          <select value={String(numRuns)} onChange={(e) => setQuery('runs', e.currentTarget.value)} data-testid="grid-num-runs">
            {SIZES.map((n) => (
              <option value={String(n)}>{n}</option>
            ))}
          </select>
        </label>
        {grid && (
          <span class="muted small">
            {count(grid.dag_runs.length, 'run')} × {count(grid.tasks.length, 'task')}
          </span>
        )}
        {before && (
          <button class="tag on" onClick={() => setQuery('before', null)} title="show the newest runs" data-testid="grid-before" data-before={before}>
            up to {dateTime(before)} ×
          </button>
        )}
        <span class="spacer" />
        {sel && (
          <span class="selected-run" data-testid="grid-selected-run" data-run-id={sel.dag_run_id}>
            <StateBadge state={sel.state} /> <code>{sel.dag_run_id}</code>{' '}
            <a href={href(['dags', dagId, 'graph'], { run: sel.dag_run_id })}>graph</a>{' '}
            <a href={href(['dags', dagId, 'gantt'], { run: sel.dag_run_id })}>gantt</a> <RunActions dagId={dagId} run={sel} />
          </span>
        )}
      </div>
      <StateLegend />
      <ErrorBox error={error} />
      {!grid && !error && <Spinner />}
      {grid && grid.dag_runs.length === 0 && <div class="empty">No runs yet: trigger one, or unpause a scheduled DAG.</div>}
      {grid && grid.dag_runs.length > 0 && (
        <div class="grid-with-panel">
          <GridCanvas dagId={dagId} grid={grid} rows={rows} folded={folded} onToggle={toggleGroup} version={version} tileVersions={tileVersions.current} selRun={selRun} selTask={selTask} />
          {sel && selTaskIdx >= 0 && <GridPanel key={`${sel.dag_run_id}/${selTask}`} dagId={dagId} runId={sel.dag_run_id} taskId={selTask!} mapped={selMapped} />}
        </div>
      )}
    </div>
  )
}

interface TileProps {
  grid: api.Grid
  rows: GridRow[]
  tc: number
  tr: number
  /** Changes when a cell of this tile changed in place. */
  v: number
}

/** TILE × TILE cells, positioned as one block; rendered again only when its props change. */
class Tile extends Component<TileProps> {
  shouldComponentUpdate(n: TileProps) {
    const p = this.props
    return n.v !== p.v || n.grid !== p.grid || n.rows !== p.rows || n.tc !== p.tc || n.tr !== p.tr
  }
  render({ grid, rows, tc, tr }: TileProps) {
    const c0 = tc * TILE
    const r0 = tr * TILE
    const c1 = Math.min(grid.dag_runs.length, c0 + TILE)
    const r1 = Math.min(rows.length, r0 + TILE)
    const cells = []
    for (let c = c0; c < c1; c++) {
      const col = grid.instances[c]
      const runId = grid.dag_runs[c].dag_run_id
      for (let r = r0; r < r1; r++) {
        const row = rows[r]
        if (row.kind === 'group') {
          const s = stateName(groupState(row.tasks.map((t) => col?.[t]?.state)))
          cells.push(
            <div
              class={`cell group-cell s-${s}`}
              style={`left:${(c - c0) * COL + 3}px;top:${(r - r0) * ROW + 4}px;background:${stateColor(s)}`}
              data-testid="grid-group-cell"
              data-state={s}
              data-row={r}
              data-col={c}
              data-group-id={row.group.group_id}
              data-run-id={runId}
            />,
          )
          continue
        }
        const inst = col?.[row.task]
        const s = stateName(inst?.state)
        const mapped = inst?.mapped_states
        cells.push(
          <div
            class={`cell s-${s}${grid.tasks[row.task].is_mapped ? ' mapped' : ''}${inst?.sla_miss ? ' sla-miss' : ''}`}
            data-mapped={mapped ? Object.values(mapped).reduce((a, b) => a + b, 0) : undefined}
            data-sla-miss={inst?.sla_miss ? 'true' : undefined}
            style={`left:${(c - c0) * COL + 3}px;top:${(r - r0) * ROW + 4}px;background:${stateColor(s)}`}
            data-testid="grid-cell"
            data-state={s}
            data-row={r}
            data-task={row.task}
            data-col={c}
            data-task-id={grid.tasks[row.task].task_id}
            data-run-id={runId}
            data-duration={inst?.duration ?? ''}
            data-try={inst?.try_number ?? ''}
          />,
        )
      }
    }
    return (
      <div class="tile" style={`left:${c0 * COL}px;top:${r0 * ROW}px`}>
        {cells}
      </div>
    )
  }
}

function GridCanvas(props: {
  dagId: string
  grid: api.Grid
  rows: GridRow[]
  folded: Set<string>
  onToggle: (group: string) => void
  version: number
  tileVersions: Map<number, number>
  selRun: string | null
  selTask: string | null
}) {
  const { grid, rows: gridRows, folded, onToggle, version, selRun, selTask } = props
  const body = useRef<HTMLDivElement>(null)
  const head = useRef<HTMLDivElement>(null)
  const names = useRef<HTMLDivElement>(null)
  const tip = useRef<HTMLDivElement>(null)
  const nRows = gridRows.length
  const nCols = grid.dag_runs.length
  const tilesX = Math.ceil(nCols / TILE)
  const tilesY = Math.ceil(nRows / TILE)
  const [win, setWin] = useState<Window>({ r0: 0, r1: Math.min(tilesY, 3), c0: Math.max(0, tilesX - 6), c1: tilesX })

  // The longest run sets the scale of the run bars.
  const runDur = useMemo(() => grid.dag_runs.map((r) => between(r.start_date, r.end_date) ?? 0), [grid, version])
  const maxDur = Math.max(1e-6, ...runDur)

  const atEnd = useRef(true) // showing the newest runs: stay there when a run is added
  const measure = () => {
    const el = body.current
    if (!el) return
    atEnd.current = el.scrollLeft + el.clientWidth >= el.scrollWidth - 2 * COL
    if (head.current) head.current.scrollLeft = el.scrollLeft
    if (names.current) names.current.scrollTop = el.scrollTop
    // One tile of margin on each side: the next tile is there before it scrolls into view.
    const r0 = Math.max(0, Math.floor(el.scrollTop / (ROW * TILE)) - 1)
    const r1 = Math.min(tilesY, Math.ceil((el.scrollTop + el.clientHeight) / (ROW * TILE)) + 1)
    const c0 = Math.max(0, Math.floor(el.scrollLeft / (COL * TILE)) - 1)
    const c1 = Math.min(tilesX, Math.ceil((el.scrollLeft + el.clientWidth) / (COL * TILE)) + 1)
    setWin((w) => (w.r0 === r0 && w.r1 === r1 && w.c0 === c0 && w.c1 === c1 ? w : { r0, r1, c0, c1 }))
  }

  // Start at the newest runs (right end), like Airflow, and follow new runs while there.
  useLayoutEffect(() => {
    const el = body.current
    if (!el) return
    if (atEnd.current) el.scrollLeft = el.scrollWidth
    measure()
    const ro = new ResizeObserver(() => measure())
    ro.observe(el)
    return () => ro.disconnect()
  }, [nRows, nCols])

  // The side panes scroll the body with the wheel.
  useEffect(() => {
    const fwd = (e: WheelEvent) => {
      if (!body.current) return
      body.current.scrollTop += e.deltaY
      body.current.scrollLeft += e.deltaX
      e.preventDefault()
    }
    const hs = [head.current, names.current]
    hs.forEach((h) => h?.addEventListener('wheel', fwd, { passive: false }))
    return () => hs.forEach((h) => h?.removeEventListener('wheel', fwd))
  }, [])

  const cellAt = (e: Event): HTMLElement | null => (e.target as HTMLElement).closest?.('[data-testid="grid-cell"]') ?? null
  const groupCellAt = (e: Event): HTMLElement | null => (e.target as HTMLElement).closest?.('[data-testid="grid-group-cell"]') ?? null
  const runAt = (e: Event): HTMLElement | null => (e.target as HTMLElement).closest?.('[data-testid="grid-run"]') ?? null

  const showTip = (e: MouseEvent) => {
    const t = tip.current
    if (!t) return
    const cell = cellAt(e)
    const groupCell = groupCellAt(e)
    const runEl = runAt(e)
    let text = ''
    if (groupCell) {
      const row = gridRows[Number(groupCell.dataset.row)]
      const run = grid.dag_runs[Number(groupCell.dataset.col)]
      if (row?.kind === 'group') text = [`group ${row.group.group_id}`, `run ${run.dag_run_id}`, `state ${groupCell.dataset.state}`, `${row.tasks.length} tasks`].join('\n')
    } else if (cell) {
      const c = Number(cell.dataset.col)
      const r = Number(cell.dataset.task)
      const inst = grid.instances[c]?.[r]
      const run = grid.dag_runs[c]
      text = [
        `${grid.tasks[r].task_id}`,
        `run ${run.dag_run_id}`,
        `state ${stateName(inst?.state)}`,
        inst?.mapped_states ? mappedSummary(inst.mapped_states) : '',
        inst && inst.try_number > 0 ? `try ${inst.try_number}` : '',
        inst?.duration != null && inst.try_number > 0 ? `duration ${duration(inst.duration)}` : '',
        inst?.sla_miss ? 'SLA missed: its sla passed before it succeeded' : '',
      ]
        .filter(Boolean)
        .join('\n')
    } else if (runEl) {
      const run = grid.dag_runs[Number(runEl.dataset.col)]
      const d = between(run.start_date, run.end_date)
      text = [
        run.dag_run_id,
        `logical date ${dateTime(run.logical_date)}`,
        `state ${run.state}`,
        d != null ? `duration ${duration(d)}` : '',
        run.run_type,
        run.sla_miss ? 'SLA missed: the deadline passed before the run ended' : '',
      ]
        .filter(Boolean)
        .join('\n')
    }
    if (!text) {
      t.hidden = true
      return
    }
    t.textContent = text
    t.hidden = false
    const x = Math.min(e.clientX + 14, window.innerWidth - t.offsetWidth - 8)
    const y = Math.min(e.clientY + 14, window.innerHeight - t.offsetHeight - 8)
    t.style.transform = `translate(${x}px, ${y}px)`
  }
  const hideTip = () => tip.current && (tip.current.hidden = true)

  // A click selects the instance and opens its panel beside the grid; a second click closes it.
  const openCell = (e: MouseEvent) => {
    const cell = cellAt(e)
    if (!cell) return
    const run = grid.dag_runs[Number(cell.dataset.col)]
    const task = grid.tasks[Number(cell.dataset.task)]
    const again = selRun === run.dag_run_id && selTask === task.task_id
    setQueries({ run: run.dag_run_id, task: again ? null : task.task_id })
  }
  const selectRun = (e: MouseEvent) => {
    const el = runAt(e)
    if (!el) return
    const run = grid.dag_runs[Number(el.dataset.col)]
    setQueries({ run: selRun === run.dag_run_id ? null : run.dag_run_id, task: null })
  }

  const selCol = selRun ? grid.dag_runs.findIndex((r) => r.dag_run_id === selRun) : -1
  const tiles = []
  for (let tc = win.c0; tc < win.c1; tc++)
    for (let tr = win.r0; tr < win.r1; tr++) {
      const k = tileKey(tc, tr)
      tiles.push(<Tile key={k} grid={grid} rows={gridRows} tc={tc} tr={tr} v={props.tileVersions.get(k) ?? 0} />)
    }
  const bars = []
  for (let c = win.c0 * TILE; c < Math.min(nCols, win.c1 * TILE); c++) {
    const run = grid.dag_runs[c]
    const h = Math.max(4, Math.round(((runDur[c] ?? 0) / maxDur) * (HEAD - AXIS - 10)))
    bars.push(
      <div
        key={c}
        class={`run-bar${c === selCol ? ' sel' : ''}${run.sla_miss ? ' sla-miss' : ''}`}
        style={`left:${c * COL + 2}px;height:${h}px;background:${stateColor(run.state)}`}
        data-testid="grid-run"
        data-col={c}
        data-run-id={run.dag_run_id}
        data-state={run.state}
        data-sla-miss={run.sla_miss ? 'true' : undefined}
      />,
    )
  }
  // The date axis: a run's logical date over its column where the day changes (the time when
  // several runs share a day), at most one label per 5 columns so that they never overlap.
  const dates = []
  let lastLabel = -Infinity
  let lastDay = ''
  for (let c = 0; c < nCols; c++) {
    const at = dateTime(grid.dag_runs[c].logical_date)
    const day = at.slice(0, 10)
    if (c - lastLabel < 5) {
      lastDay = day
      continue
    }
    const text = day !== lastDay ? at.slice(5, 10) : at.slice(11, 16)
    lastDay = day
    lastLabel = c
    if (c < win.c0 * TILE - 5 || c >= win.c1 * TILE) continue
    dates.push(
      <div key={`d${c}`} class="axis-date" style={`left:${c * COL}px`} title={`${grid.dag_runs[c].dag_run_id}\nlogical date ${at}`} data-testid="grid-date" data-col={c}>
        {text}
      </div>,
    )
  }
  const rows = []
  for (let r = win.r0 * TILE; r < Math.min(nRows, win.r1 * TILE); r++) {
    const row = gridRows[r]
    const indent = `padding-left:${8 + row.depth * 14}px`
    if (row.kind === 'group') {
      const g = row.group
      const isFolded = folded.has(g.group_id)
      rows.push(
        <button
          key={`g:${g.group_id}`}
          class="task-name group-name"
          style={`top:${r * ROW}px;${indent}`}
          title={[g.group_id, g.tooltip, `${row.tasks.length} tasks`, isFolded ? 'click to unfold' : 'click to fold'].filter(Boolean).join('\n')}
          onClick={() => onToggle(g.group_id)}
          aria-expanded={!isFolded}
          data-testid="grid-group"
          data-group-id={g.group_id}
          data-folded={String(isFolded)}
        >
          {isFolded ? '▸' : '▾'} {g.label}
        </button>,
      )
      continue
    }
    const t = grid.tasks[row.task]
    rows.push(
      <div
        key={t.task_id}
        class="task-name"
        style={`top:${r * ROW}px;${row.depth ? indent : ''}`}
        title={t.upstream_task_ids?.length ? `${t.task_id}\nupstream: ${t.upstream_task_ids.join(', ')}` : t.task_id}
        data-testid="grid-task"
        data-task-id={t.task_id}
        data-mapped={t.is_mapped ? 'true' : undefined}
      >
        {row.depth ? (t.label ?? t.task_id) : t.task_id}
        {t.is_mapped && <span class="muted small"> [ ]</span>}
      </div>,
    )
  }

  return (
    <div
      class="grid"
      style={`--names:${NAMES}px;--head:${HEAD}px;--content:${HEAD + nRows * ROW + 28}px`}
      data-testid="grid"
      data-runs={nCols}
      data-tasks={grid.tasks.length}
      data-rows={nRows}
      onMouseLeave={hideTip}
    >
      <div class="grid-corner muted small">
        <span>task \ run</span>
      </div>
      <div class="grid-head" ref={head} onMouseMove={showTip} onClick={selectRun}>
        <div class="grid-inner" style={`width:${nCols * COL + 20}px;height:${HEAD}px`}>
          {selCol >= 0 && <div class="col-sel" style={`left:${selCol * COL}px`} />}
          <div class="axis" style={`height:${AXIS}px`}>
            {dates}
          </div>
          {bars}
        </div>
      </div>
      <div class="grid-names" ref={names}>
        <div class="grid-inner" style={`height:${nRows * ROW + 20}px`}>
          {rows}
        </div>
      </div>
      <div class="grid-body" ref={body} onScroll={measure} onMouseMove={showTip} onClick={openCell} data-testid="grid-body">
        <div class="grid-inner" style={`width:${nCols * COL + 20}px;height:${nRows * ROW + 20}px`}>
          {selCol >= 0 && <div class="col-sel" style={`left:${selCol * COL}px;height:${nRows * ROW + 8}px`} />}
          {tiles}
        </div>
      </div>
      <div class="tooltip" ref={tip} hidden data-testid="grid-tooltip" />
    </div>
  )
}

/** The state colours, as Airflow's grid shows them over the grid. */
function StateLegend() {
  return (
    <div class="state-legend" data-testid="grid-legend">
      {TASK_STATES.map((s) => (
        <span class="legend-item" data-testid="legend-state" data-state={s}>
          <span class={`legend-swatch s-${s}`} style={{ background: stateColor(s) }} />
          {s === 'none' ? 'no status' : s}
        </span>
      ))}
    </div>
  )
}
