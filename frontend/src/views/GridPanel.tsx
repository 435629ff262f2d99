// The grid's side panel for the selected task instance (Airflow 2's grid details): what a click
// on a cell shows without leaving the grid — state, try, dates, links, Clear and Mark.

import { useEffect, useState } from 'preact/hooks'
import * as api from '../api'
import { ClearDialog } from '../components/ClearDialog'
import { coalesce, on } from '../events'
import { dateTime, duration } from '../format'
import { href, setQuery } from '../router'
import { mappedSummary, stateName } from '../states'
import { ActionButton, ErrorBox, Spinner, StateBadge, useCan, useLoad } from '../ui'

export function GridPanel(props: { dagId: string; runId: string; taskId: string; mapped: Record<string, number> | undefined }) {
  const { dagId, runId, taskId, mapped } = props
  const ti = useLoad(() => api.taskInstance(dagId, runId, taskId), [dagId, runId, taskId])
  const canUse = useCan('User')
  const [clear, setClear] = useState(false)

  // Live: this instance's events carry its new state; the rest is read again, coalesced.
  useEffect(() => {
    const reload = coalesce(ti.reload, 400)
    const offs = [
      on('task_instance', (e) => {
        if (e.dag_id !== dagId || e.dag_run_id !== runId || e.task_id !== taskId) return
        if ((e.map_index ?? -1) < 0) ti.set((d) => d && { ...d, ...e })
        reload()
      }),
      on('resync', reload),
    ]
    return () => offs.forEach((f) => f())
  }, [dagId, runId, taskId])

  const d = ti.data
  const state = stateName(d?.state)
  const page = href(['dags', dagId, 'runs', runId, 'tasks', taskId])
  const close = () => setQuery('task', null)
  return (
    <aside class="grid-panel" data-testid="ti-panel" data-task-id={taskId} data-run-id={runId} data-state={mapped ? 'mapped' : state}>
      <header>
        <h3 title={taskId}>{taskId}</h3>
        <button class="icon" onClick={close} aria-label="close the details" data-testid="ti-panel-close">
          ×
        </button>
      </header>
      <div class="muted small" title="run">
        <code>{runId}</code>
      </div>
      {mapped ? (
        <>
          <p data-testid="ti-panel-mapped">{mappedSummary(mapped)}</p>
          <a href={page} data-testid="ti-panel-details">
            The instances →
          </a>
        </>
      ) : (
        <>
          <ErrorBox error={ti.error} />
          {!d && !ti.error && <Spinner />}
          {d && (
            <>
              <p>
                <StateBadge state={d.state} testid="ti-panel-state" />
              </p>
              <dl class="facts-list" data-testid="ti-panel-facts">
                <dt>Try</dt>
                <dd data-testid="ti-panel-try">
                  {d.try_number} of {d.max_tries + 1}
                </dd>
                <dt>Started</dt>
                <dd>{dateTime(d.start_date) || '—'}</dd>
                <dt>Ended</dt>
                <dd>{dateTime(d.end_date) || '—'}</dd>
                <dt>Duration</dt>
                <dd data-testid="ti-panel-duration">{duration(d.duration) || '—'}</dd>
              </dl>
              <p class="links">
                <a href={href(['dags', dagId, 'runs', runId, 'tasks', taskId], { try: d.try_number || undefined })} data-testid="ti-panel-log">
                  Log
                </a>{' '}
                ·{' '}
                <a href={page} data-testid="ti-panel-details">
                  Details
                </a>
              </p>
            </>
          )}
        </>
      )}
      {canUse && (d || mapped) && (
        <div class="actions">
          <button onClick={() => setClear(true)} data-testid="ti-panel-clear">
            Clear
          </button>
          {!mapped && (
            <>
              <ActionButton
                label="Mark success"
                testid="ti-panel-mark-success"
                disabled={state === 'success'}
                run={async () => {
                  await api.markTaskInstance(dagId, runId, taskId, 'success')
                  await ti.reload()
                }}
              />
              <ActionButton
                label="Mark failed"
                testid="ti-panel-mark-failed"
                class="danger"
                disabled={state === 'failed'}
                run={async () => {
                  await api.markTaskInstance(dagId, runId, taskId, 'failed')
                  await ti.reload()
                }}
              />
            </>
          )}
        </div>
      )}
      {clear && (
        <ClearDialog
          dagId={dagId}
          runId={runId}
          taskIds={[taskId]}
          onClose={() => setClear(false)}
          onCleared={() => {
            setClear(false)
            ti.reload()
          }}
        />
      )}
    </aside>
  )
}
