// The run picker, the run actions and the data hooks the graph, gantt, grid and runs tabs share.

import { useEffect, useState } from 'preact/hooks'
import * as api from '../api'
import { ClearDialog } from '../components/ClearDialog'
import { coalesce, on } from '../events'
import { dateTime } from '../format'
import { setQuery, type Route } from '../router'
import { ActionButton, Spinner, StateBadge, useCan, useLoad, type Loaded } from '../ui'

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
export function useRunInstances(dagId: string, runId: string | null): Loaded<api.TaskInstance[]> {
  const tis = useLoad(
    () => (runId ? api.taskInstances(dagId, runId).then((r) => r.task_instances ?? []) : Promise.resolve([])),
    [dagId, runId],
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
