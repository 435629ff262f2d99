// Clearing task instances: options as Airflow's (upstream, downstream, only failed), and a dry
// run that lists what would be cleared before anything is.

import { useEffect, useState } from 'preact/hooks'
import { clearTaskInstances, errorText, type ClearedInstance } from '../api'
import { href } from '../router'
import { Modal, Spinner, StateBadge } from '../ui'

export function ClearDialog(props: {
  dagId: string
  runId: string
  /** The tasks to clear; none = every task of the run. */
  taskIds?: string[]
  /** With one task: clear only this instance of it (a mapped task's map_index). */
  mapIndex?: number
  onClose: () => void
  onCleared: (cleared: ClearedInstance[]) => void
}) {
  const one = props.taskIds !== undefined && props.taskIds.length > 0
  const instance = one && props.taskIds!.length === 1 && (props.mapIndex ?? -1) >= 0
  const [upstream, setUpstream] = useState(false)
  const [downstream, setDownstream] = useState(one)
  const [onlyFailed, setOnlyFailed] = useState(false)
  const [preview, setPreview] = useState<ClearedInstance[] | null>(null)
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)

  const body = (dry_run: boolean) => ({
    dag_run_id: props.runId,
    task_ids: one ? (instance ? [[props.taskIds![0], props.mapIndex!] as [string, number]] : props.taskIds) : undefined,
    include_upstream: one ? upstream : undefined,
    include_downstream: one ? downstream : undefined,
    only_failed: onlyFailed,
    dry_run,
  })

  useEffect(() => {
    let stale = false
    setPreview(null)
    setError('')
    clearTaskInstances(props.dagId, body(true))
      .then((r) => !stale && setPreview(r.task_instances ?? []))
      .catch((e) => !stale && setError(errorText(e)))
    return () => {
      stale = true
    }
  }, [upstream, downstream, onlyFailed])

  async function confirm() {
    setBusy(true)
    setError('')
    try {
      const r = await clearTaskInstances(props.dagId, body(false))
      props.onCleared(r.task_instances ?? [])
    } catch (e) {
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }

  const what = instance ? `${props.taskIds![0]} [${props.mapIndex}]` : one ? props.taskIds!.join(', ') : 'every task'
  return (
    <Modal title={`Clear ${what}`} onClose={props.onClose} testid="clear-dialog">
      <p class="muted small">
        Run <code>{props.runId}</code>. Cleared task instances go back to no state and run again (a running one restarts).
      </p>
      <div class="options">
        {one && (
          <label class="check">
            <input type="checkbox" checked={upstream} onChange={(e) => setUpstream(e.currentTarget.checked)} data-testid="clear-upstream" />
            Upstream
          </label>
        )}
        {one && (
          <label class="check">
            <input type="checkbox" checked={downstream} onChange={(e) => setDownstream(e.currentTarget.checked)} data-testid="clear-downstream" />
            Downstream
          </label>
        )}
        <label class="check">
          <input type="checkbox" checked={onlyFailed} onChange={(e) => setOnlyFailed(e.currentTarget.checked)} data-testid="clear-only-failed" />
          Only failed
        </label>
      </div>
      <div class="preview" data-testid="clear-preview" data-count={preview?.length ?? ''}>
        {preview === null && !error && <Spinner />}
        {preview && preview.length === 0 && <div class="empty">Nothing to clear with these options.</div>}
        {preview && preview.length > 0 && (
          <>
            <div class="small muted">
              {preview.length} task instance{preview.length === 1 ? '' : 's'} will be cleared:
            </div>
            <ul class="cleared">
              {preview.map((t) => (
                <li data-testid="clear-preview-item" data-task-id={t.task_id} data-map-index={t.map_index ?? -1}>
                  <StateBadge state={t.state} />{' '}
                  <a href={href(['dags', t.dag_id, 'runs', t.dag_run_id, 'tasks', t.task_id], (t.map_index ?? -1) >= 0 ? { map_index: String(t.map_index) } : {})}>
                    {t.task_id}
                    {(t.map_index ?? -1) >= 0 ? ` [${t.map_index}]` : ''}
                  </a>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      {error && (
        <div class="error" role="alert" data-testid="clear-error">
          {error}
        </div>
      )}
      <footer>
        <button onClick={props.onClose}>Cancel</button>
        <button class="primary danger" disabled={busy || !preview || preview.length === 0} onClick={confirm} data-testid="clear-confirm">
          {busy ? 'Clearing…' : 'Clear'}
        </button>
      </footer>
    </Modal>
  )
}
