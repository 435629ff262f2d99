import { useEffect, useState } from 'preact/hooks'
import * as api from '../api'
import { ClearDialog } from '../components/ClearDialog'
import { TriggerDialog } from '../components/TriggerDialog'
import { YamlEditor } from '../components/YamlEditor'
import { coalesce, on } from '../events'
import { dateTime, schedule } from '../format'
import { href, navigate, setQuery, type Route } from '../router'
import { ActionButton, ErrorBox, Spinner, StateBadge, useCan, useLoad, type Loaded } from '../ui'
import { PauseToggle } from './DagList'
import { GridView } from './Grid'
import { GraphView } from './Graph'
import { GanttView } from './Gantt'
import { RunsView } from './Runs'

const TABS = [
  ['grid', 'Grid'],
  ['graph', 'Graph'],
  ['gantt', 'Gantt'],
  ['code', 'Code'],
  ['runs', 'Runs'],
] as const

export function DagPage({ dagId, tab, route }: { dagId: string; tab: string; route: Route }) {
  const dag = useLoad(() => api.dag(dagId), [dagId])
  const tasks = useLoad(() => api.tasks(dagId).then((r) => r.tasks ?? []), [dagId])
  const canUse = useCan('User')
  const [trigger, setTrigger] = useState(false)

  useEffect(() => {
    const reload = coalesce(async () => {
      await Promise.all([dag.reload(), tasks.reload()])
    }, 500)
    const reloadDag = coalesce(dag.reload, 1000)
    const offs = [
      on('dag', (e) => {
        if (e.dag_id !== dagId) return
        if (e.is_paused !== undefined) dag.set((d) => d && { ...d, is_paused: !!e.is_paused })
        else reload() // the DAG file changed
      }),
      on('dag_run', (r) => r.dag_id === dagId && reloadDag()), // a new run moves the next run
      on('resync', reload),
    ]
    return () => offs.forEach((f) => f())
  }, [dagId])

  const d = dag.data
  const togglePause = async () => {
    if (!d) return
    const next = !d.is_paused
    dag.set((x) => x && { ...x, is_paused: next })
    try {
      await api.patchDag(dagId, next)
    } catch (e) {
      dag.set((x) => x && { ...x, is_paused: !next })
      alert(api.errorText(e))
    }
  }

  if (dag.error && !d) {
    return (
      <div class="page">
        <ErrorBox error={dag.error} />
        <a href="#/dags">← DAGs</a>
      </div>
    )
  }

  return (
    <div class="page dag-page" data-testid="dag-page" data-dag-id={dagId}>
      <header class="page-head">
        <div class="title">
          <a href="#/dags" class="muted">
            DAGs
          </a>{' '}
          /{' '}
          <h1 data-testid="dag-title">{dagId}</h1>
          {d && <PauseToggle paused={d.is_paused} disabled={!canUse} onToggle={togglePause} />}
          {d?.is_paused && <span class="muted small">paused</span>}
        </div>
        <div class="facts">
          {d && (
            <>
              <span title="schedule">
                <small>schedule</small> <code>{schedule(d.schedule_interval)}</code>
              </span>
              {d.next_dagrun && (
                <span>
                  <small>next run</small> {dateTime(d.next_dagrun)}
                </span>
              )}
              {(d.tags ?? []).map((t) => (
                <a class="tag" href={href(['dags'], { tag: t.name })}>
                  {t.name}
                </a>
              ))}
            </>
          )}
          {canUse && (
            <button class="primary" onClick={() => setTrigger(true)} data-testid="trigger-button" disabled={!d}>
              ▶ Trigger
            </button>
          )}
        </div>
        {d?.description && <p class="muted">{d.description}</p>}
      </header>

      <nav class="tabs" role="tablist">
        {TABS.map(([id, label]) => (
          <a
            role="tab"
            aria-selected={tab === id}
            class={tab === id ? 'active' : ''}
            href={href(['dags', dagId, id], { run: route.query.get('run') ?? undefined })}
            data-testid={`tab-${id}`}
          >
            {label}
          </a>
        ))}
      </nav>

      <section class="tab-body">
        {tab === 'grid' && <GridView dagId={dagId} route={route} />}
        {tab === 'graph' && <GraphView dagId={dagId} tasks={tasks} route={route} />}
        {tab === 'gantt' && <GanttView dagId={dagId} tasks={tasks} route={route} />}
        {tab === 'code' && <CodeView dagId={dagId} fileloc={d?.fileloc} />}
        {tab === 'runs' && <RunsView dagId={dagId} route={route} />}
      </section>

      {trigger && d && (
        <TriggerDialog
          dagId={dagId}
          params={d.params}
          onClose={() => setTrigger(false)}
          onTriggered={(run) => {
            setTrigger(false)
            if (tab === 'grid' || tab === 'runs') setQuery('run', run.dag_run_id)
            else navigate(href(['dags', dagId, tab], { run: run.dag_run_id }))
          }}
        />
      )}
    </div>
  )
}

function CodeView({ dagId, fileloc }: { dagId: string; fileloc?: string }) {
  const src = useLoad(() => api.source(dagId), [dagId], 'dag-code')
  useEffect(() => on('dag', (e) => e.dag_id === dagId && e.is_paused === undefined && src.reload()), [dagId])
  return (
    <div class="code-view">
      {fileloc && (
        <div class="muted small" data-testid="dag-fileloc">
          {fileloc}
        </div>
      )}
      <ErrorBox error={src.error} />
      {src.data === undefined && !src.error ? <Spinner /> : <YamlEditor value={src.data ?? ''} readOnly testid="code-editor" />}
    </div>
  )
}

// ---- shared by the graph and gantt tabs

/** The run a tab shows: ?run=, else the newest. */
export function useSelectedRun(dagId: string, route: Route) {
  const wanted = route.query.get('run')
  const runs = useLoad(() => api.dagRuns(dagId, { limit: 100, order_by: '-logical_date' }).then((r) => r.dag_runs ?? []), [dagId])
  useEffect(() => {
    const reload = coalesce(runs.reload, 500)
    const offs = [
      on('dag_run', (r) => {
        if (r.dag_id !== dagId) return
        let known = false
        runs.set((list) => list?.map((x) => (x.dag_run_id === r.dag_run_id ? ((known = true), { ...x, ...r }) : x)))
        if (!known) reload()
      }),
      on('resync', reload),
    ]
    return () => offs.forEach((f) => f())
  }, [dagId])
  const list = runs.data ?? []
  const runId = wanted ?? list[0]?.dag_run_id ?? null
  const run = list.find((r) => r.dag_run_id === runId) ?? null
  return { runs, runId, run }
}

/** A run's task instances, kept current by task_instance events. */
export function useRunInstances(dagId: string, runId: string | null, view: string): Loaded<api.TaskInstance[]> {
  const tis = useLoad(
    () => (runId ? api.taskInstances(dagId, runId).then((r) => r.task_instances ?? []) : Promise.resolve([])),
    [dagId, runId],
    view,
  )
  useEffect(() => {
    if (!runId) return
    const reload = coalesce(tis.reload, 500)
    const offs = [
      on('task_instance', (ti) => {
        if (ti.dag_id !== dagId || ti.dag_run_id !== runId) return
        let known = false
        tis.set((list) => {
          const next = list?.map((x) => (x.task_id === ti.task_id ? ((known = true), { ...x, ...ti }) : x))
          return known ? next : [...(list ?? []), ti]
        })
      }),
      on('resync', reload),
    ]
    return () => offs.forEach((f) => f())
  }, [dagId, runId])
  return tis
}

export function RunPicker(props: { dagId: string; sel: ReturnType<typeof useSelectedRun> }) {
  const { runs, runId, run } = props.sel
  const list = runs.data ?? []
  if (runs.data === undefined) return <Spinner />
  if (list.length === 0) return <span class="muted">No runs yet.</span>
  return (
    <span class="run-picker">
      <label>
        Run{' '}
        <select value={runId ?? ''} onChange={(e) => setQuery('run', e.currentTarget.value)} data-testid="run-select">
          {!run && runId && <option value={runId}>{runId}</option>}
          {list.map((r) => (
            <option value={r.dag_run_id}>
              {dateTime(r.logical_date)} · {r.dag_run_id} · {r.state}
            </option>
          ))}
        </select>
      </label>
      {run && <StateBadge state={run.state} testid="run-state" />}
      {run && <RunActions dagId={props.dagId} run={run} />}
    </span>
  )
}

/** Clear and mark buttons for one run, shown to User and above. */
export function RunActions({ dagId, run, onChange }: { dagId: string; run: api.DagRun; onChange?: () => void }) {
  const canUse = useCan('User')
  const [clear, setClear] = useState(false)
  if (!canUse) return null
  return (
    <span class="actions">
      <button onClick={() => setClear(true)} data-testid="clear-run-button">
        Clear
      </button>
      <ActionButton
        label="Mark success"
        testid="mark-run-success"
        disabled={run.state === 'success'}
        confirm={`Mark run ${run.dag_run_id} and its unfinished task instances as success?`}
        run={async () => {
          await api.markRun(dagId, run.dag_run_id, 'success')
          onChange?.()
        }}
      />
      <ActionButton
        label="Mark failed"
        testid="mark-run-failed"
        class="danger"
        disabled={run.state === 'failed'}
        confirm={`Mark run ${run.dag_run_id} and its unfinished task instances as failed?`}
        run={async () => {
          await api.markRun(dagId, run.dag_run_id, 'failed')
          onChange?.()
        }}
      />
      {clear && (
        <ClearDialog
          dagId={dagId}
          runId={run.dag_run_id}
          onClose={() => setClear(false)}
          onCleared={() => {
            setClear(false)
            onChange?.()
          }}
        />
      )}
    </span>
  )
}
