import { useEffect, useMemo, useState } from 'preact/hooks'
import * as api from '../api'
import { ClearDialog } from '../components/ClearDialog'
import { DocMd } from '../components/DocMd'
import { LogPane } from '../components/LogPane'
import { coalesce, on } from '../events'
import { dateTime, duration } from '../format'
import { href, setQuery, type Route } from '../router'
import { isFinished, mappedSummary, mostPressing, stateName } from '../states'
import { ActionButton, ErrorBox, Spinner, StateBadge, useCan, useLoad } from '../ui'

export function TaskInstancePage({ dagId, runId, taskId, route }: { dagId: string; runId: string; taskId: string; route: Route }) {
  // A mapped task's instance is named by ?map_index=; without one, its page lists them.
  const mapIndex = Number(route.query.get('map_index') ?? -1)
  const ti = useLoad(() => api.taskInstance(dagId, runId, taskId, mapIndex), [dagId, runId, taskId, mapIndex], 'task-instance')
  const tries = useLoad(() => api.tries(dagId, runId, taskId, mapIndex).then((r) => r.task_instances ?? []), [dagId, runId, taskId, mapIndex])
  const xcoms = useLoad(() => api.xcoms(dagId, runId, taskId, mapIndex).then((r) => r.xcom_entries ?? []), [dagId, runId, taskId, mapIndex])
  const mapped = useLoad(() => api.listMapped(dagId, runId, taskId).then((r) => r.task_instances ?? []), [dagId, runId, taskId])
  const task = useLoad(() => api.tasks(dagId).then((r) => (r.tasks ?? []).find((t) => t.task_id === taskId)), [dagId, taskId])
  const canUse = useCan('User')
  const [clear, setClear] = useState(false)

  // Live: the event carries the instance's new state; the detail (why, rendered), the tries and
  // the XComs are read again, coalesced, when it changes.
  useEffect(() => {
    const reloadAll = coalesce(() => Promise.all([ti.reload(), tries.reload(), xcoms.reload(), mapped.reload()]), 400)
    const offs = [
      on('task_instance', (e) => {
        if (e.dag_id !== dagId || e.dag_run_id !== runId || e.task_id !== taskId) return
        if ((e.map_index ?? -1) === mapIndex) ti.set((d) => d && { ...d, ...e })
        reloadAll()
      }),
      on('resync', reloadAll),
    ]
    return () => offs.forEach((f) => f())
  }, [dagId, runId, taskId, mapIndex])

  const d = ti.data
  const tryNumbers = useMemo(() => {
    const s = new Set<number>((tries.data ?? []).map((t) => t.try_number).filter((n) => n > 0))
    if (d && d.try_number > 0) s.add(d.try_number)
    return [...s].sort((a, b) => a - b)
  }, [tries.data, d?.try_number])
  const wanted = Number(route.query.get('try') ?? 0)
  const tryNumber = wanted > 0 ? wanted : (tryNumbers[tryNumbers.length - 1] ?? 0)
  const state = stateName(d?.state)
  const why = d?.why ? (Array.isArray(d.why) ? d.why : [d.why]) : []
  const waiting = d && !isFinished(d.state) && state !== 'running'
  // An ended try has a log; the current one once it runs (queued is not started, whatever
  // start_date says).
  const ended = (tries.data ?? []).some((t) => t.try_number === tryNumber)
  const hasLog = ended || (d?.try_number === tryNumber && !['none', 'scheduled', 'queued'].includes(state))
  const reason = d?.reason && !why.includes(d.reason) ? d.reason : ''

  if (mapIndex < 0 && (mapped.data?.length ?? 0) > 0) {
    return <MappedList dagId={dagId} runId={runId} taskId={taskId} instances={mapped.data!} />
  }

  return (
    <div class="page ti-page" data-testid="task-instance" data-state={state} data-task-id={taskId} data-run-id={runId}>
      <header class="page-head">
        <div class="title">
          <a href="#/dags" class="muted">
            DAGs
          </a>{' '}
          / <a href={href(['dags', dagId, 'grid'], { run: runId })}>{dagId}</a> /{' '}
          <a href={href(['dags', dagId, 'graph'], { run: runId })} class="muted">
            {runId}
          </a>{' '}
          / <h1>{taskId}</h1>
          {mapIndex >= 0 && (
            <>
              {' '}
              <a href={href(['dags', dagId, 'runs', runId, 'tasks', taskId])} class="muted" data-testid="ti-map-index">
                [{mapIndex}]
              </a>
            </>
          )}{' '}
          {d && <StateBadge state={d.state} testid="ti-state" />}
        </div>
        {d && canUse && (
          <div class="actions">
            <button onClick={() => setClear(true)} data-testid="clear-button">
              Clear
            </button>
            <ActionButton
              label="Mark success"
              testid="mark-success-button"
              disabled={state === 'success'}
              run={async () => {
                await api.markTaskInstance(dagId, runId, taskId, 'success', mapIndex)
                await ti.reload()
              }}
            />
            <ActionButton
              label="Mark failed"
              testid="mark-failed-button"
              class="danger"
              disabled={state === 'failed'}
              run={async () => {
                await api.markTaskInstance(dagId, runId, taskId, 'failed', mapIndex)
                await ti.reload()
              }}
            />
          </div>
        )}
      </header>
      <ErrorBox error={ti.error} />
      {!d && !ti.error && <Spinner />}
      <DocMd source={task.data?.doc_md} title="Task docs" testid="task-doc" />

      {d && waiting && (why.length > 0 || reason) && (
        <section class="why" data-testid="ti-why">
          <h3>Why it is not running</h3>
          {why.length > 0 && (
            <ul>
              {why.map((w) => (
                <li>{w}</li>
              ))}
            </ul>
          )}
          {reason && <p data-testid="ti-reason">{reason}</p>}
        </section>
      )}
      {d && !waiting && d.reason && (
        <p class="muted" data-testid="ti-reason">
          {d.reason}
        </p>
      )}

      {d && (
        <div class="ti-grid">
          <section>
            <h3>Details</h3>
            <dl class="facts-list" data-testid="ti-details">
              <dt>Try</dt>
              <dd>
                {d.try_number} of {d.max_tries + 1}
              </dd>
              <dt>Started</dt>
              <dd>{dateTime(d.start_date) || '—'}</dd>
              <dt>Ended</dt>
              <dd>{dateTime(d.end_date) || '—'}</dd>
              <dt>Duration</dt>
              <dd>{duration(d.duration) || '—'}</dd>
              <dt>Exit code</dt>
              <dd>{d.exit_code ?? '—'}</dd>
              <dt>Host</dt>
              <dd>{d.hostname || '—'}</dd>
              <dt>Pool</dt>
              <dd>
                {d.pool} ({d.pool_slots} slot{d.pool_slots === 1 ? '' : 's'})
              </dd>
              <dt>Queue</dt>
              <dd>{d.queue}</dd>
              <dt>Priority weight</dt>
              <dd>{d.priority_weight}</dd>
            </dl>
          </section>
          <section>
            <h3>Rendered</h3>
            <Rendered r={d.rendered} />
          </section>
        </div>
      )}

      <section>
        <h3>Tries</h3>
        <ErrorBox error={tries.error} />
        {tryNumbers.length === 0 && d && <div class="empty">Not tried yet.</div>}
        {tryNumbers.length > 0 && (
          <table class="list compact" data-testid="ti-tries">
            <thead>
              <tr>
                <th>Try</th>
                <th>State</th>
                <th>Started</th>
                <th>Ended</th>
                <th>Duration</th>
                <th>Exit</th>
                <th>Host</th>
              </tr>
            </thead>
            <tbody>
              {tryNumbers.map((n) => {
                const t = (tries.data ?? []).find((x) => x.try_number === n) ?? (d && d.try_number === n ? d : undefined)
                return (
                  <tr
                    class={`clickable${n === tryNumber ? ' sel' : ''}`}
                    onClick={() => setQuery('try', String(n))}
                    data-testid="ti-try"
                    data-try={n}
                    data-state={stateName(t?.state)}
                  >
                    <td>{n}</td>
                    <td>
                      <StateBadge state={t?.state} />
                    </td>
                    <td>{dateTime(t?.start_date)}</td>
                    <td>{dateTime(t?.end_date)}</td>
                    <td>{duration(t?.duration)}</td>
                    <td>{t?.exit_code ?? ''}</td>
                    <td class="muted">{t?.hostname}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
      </section>

      <Callbacks dagId={dagId} runId={runId} taskId={taskId} mapIndex={mapIndex} version={tries.data} />

      {ended && <Calls tryNumber={tryNumber} calls={(tries.data ?? []).find((t) => t.try_number === tryNumber)?.calls ?? []} />}

      {tryNumber > 0 && (
        <section>
          <h3>Log of try {tryNumber}</h3>
          {hasLog ? (
            <LogPane key={`${mapIndex}/${tryNumber}`} dagId={dagId} runId={runId} taskId={taskId} mapIndex={mapIndex} tryNumber={tryNumber} />
          ) : (
            <div class="empty" data-testid="log-not-started">
              The log appears here when the try starts.
            </div>
          )}
        </section>
      )}

      <section>
        <h3>XComs</h3>
        <ErrorBox error={xcoms.error} />
        {xcoms.data && xcoms.data.length === 0 && <div class="empty">No XComs.</div>}
        {xcoms.data && xcoms.data.length > 0 && (
          <table class="list compact" data-testid="ti-xcoms">
            <thead>
              <tr>
                <th>Key</th>
                <th>Value</th>
                <th>Written</th>
              </tr>
            </thead>
            <tbody>
              {xcoms.data.map((x) => (
                <tr data-testid="xcom-row" data-key={x.key}>
                  <td>
                    <code>{x.key}</code>
                  </td>
                  <td>
                    <pre class="value">{typeof x.value === 'string' ? x.value : JSON.stringify(x.value, null, 2)}</pre>
                  </td>
                  <td class="muted">{dateTime(x.timestamp)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {clear && (
        <ClearDialog
          dagId={dagId}
          runId={runId}
          taskIds={[taskId]}
          mapIndex={mapIndex}
          onClose={() => setClear(false)}
          onCleared={() => {
            setClear(false)
            ti.reload()
          }}
        />
      )}
    </div>
  )
}

function Rendered({ r }: { r: api.Rendered | null | undefined }) {
  if (!r) return <div class="empty">Rendered when the task instance starts.</div>
  const env = Object.entries(r.env ?? {})
  const rest = Object.entries(r).filter(([k]) => k !== 'module' && k !== 'args' && k !== 'env')
  return (
    <dl class="facts-list" data-testid="ti-rendered">
      {r.module !== undefined && (
        <>
          <dt>Module</dt>
          <dd>
            <code>{r.module}</code>
          </dd>
        </>
      )}
      <dt>Args</dt>
      <dd>
        {(r.args ?? []).length === 0 ? (
          '—'
        ) : (
          <span class="args">
            {(r.args ?? []).map((a) => (
              <code class="arg">{a}</code>
            ))}
          </span>
        )}
      </dd>
      <dt>Env</dt>
      <dd>
        {env.length === 0 ? (
          '—'
        ) : (
          <table class="kv">
            {env.map(([k, v]) => (
              <tr>
                <td>
                  <code>{k}</code>
                </td>
                <td>
                  <code>{v}</code>
                </td>
              </tr>
            ))}
          </table>
        )}
      </dd>
      {rest.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>
            <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>
          </dd>
        </>
      ))}
    </dl>
  )
}

// Calls lists what a try touched through its grants (SPEC §8): each HTTP request, SQL statement
// and secret read, refused ones too with the reason, so a failed try shows which grant it lacked.
// The record is written when the try ends, so only ended tries have one.
function Calls({ tryNumber, calls }: { tryNumber: number; calls: api.TaskCall[] }) {
  return (
    <section>
      <h3>Granted calls of try {tryNumber}</h3>
      {calls.length === 0 && (
        <div class="empty" data-testid="ti-no-calls">
          No granted calls: the try made no HTTP request, SQL statement or secret read.
        </div>
      )}
      {calls.length > 0 && (
        <table class="list compact" data-testid="ti-calls" data-try={tryNumber}>
          <thead>
            <tr>
              <th>Kind</th>
              <th>Target</th>
              <th>Operation</th>
              <th>Status / rows</th>
              <th>Bytes out / in</th>
              <th>Duration</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {calls.map((c) => (
              <tr data-testid="ti-call" data-kind={c.kind} data-refused={c.refused ? 'true' : 'false'}>
                <td>{c.kind}</td>
                <td>
                  <code>{c.target}</code>
                </td>
                <td>
                  <code>{c.op ?? ''}</code>
                </td>
                <td>{callResult(c)}</td>
                <td>{callBytes(c)}</td>
                <td>{duration(c.duration_ns / 1e9)}</td>
                <td class={c.refused || c.error ? 'call-failed' : 'muted'}>
                  {c.refused ? 'refused' : c.error ? 'failed' : 'ok'}
                  {c.error ? `: ${c.error}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

// callResult is an HTTP call's status or a SQL call's rows; a secret read has neither.
function callResult(c: api.TaskCall): string {
  if (c.status) return String(c.status)
  if (c.kind === 'sql') return `${c.rows ?? 0} row${c.rows === 1 ? '' : 's'}`
  return ''
}

function callBytes(c: api.TaskCall): string {
  if (!c.bytes_out && !c.bytes_in) return ''
  return `${size(c.bytes_out ?? 0)} / ${size(c.bytes_in ?? 0)}`
}

function size(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** A mapped task's page: its instances, each a link to its own page. */
function MappedList({ dagId, runId, taskId, instances }: { dagId: string; runId: string; taskId: string; instances: api.TaskInstance[] }) {
  const counts: Record<string, number> = {}
  for (const ti of instances) counts[stateName(ti.state)] = (counts[stateName(ti.state)] ?? 0) + 1
  return (
    <div class="page ti-page" data-testid="mapped-instances" data-task-id={taskId} data-run-id={runId} data-count={instances.length}>
      <header class="page-head">
        <div class="title">
          <a href="#/dags" class="muted">
            DAGs
          </a>{' '}
          / <a href={href(['dags', dagId, 'grid'], { run: runId })}>{dagId}</a> /{' '}
          <a href={href(['dags', dagId, 'graph'], { run: runId })} class="muted">
            {runId}
          </a>{' '}
          / <h1>{taskId}</h1> <StateBadge state={mostPressing(instances.map((t) => stateName(t.state)))} testid="ti-state" />
        </div>
      </header>
      <p class="muted" data-testid="mapped-summary">
        {mappedSummary(counts)}
      </p>
      <table class="list compact" data-testid="mapped-list">
        <thead>
          <tr>
            <th>Map index</th>
            <th>State</th>
            <th>Try</th>
            <th>Started</th>
            <th>Duration</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {instances.map((ti) => (
            <tr data-testid="mapped-row" data-map-index={ti.map_index} data-state={stateName(ti.state)}>
              <td>
                <a href={href(['dags', dagId, 'runs', runId, 'tasks', taskId], { map_index: String(ti.map_index) })}>{ti.map_index}</a>
              </td>
              <td>
                <StateBadge state={ti.state} />
              </td>
              <td>{ti.try_number}</td>
              <td>{dateTime(ti.start_date)}</td>
              <td>{duration(ti.duration)}</td>
              <td class="muted small">{ti.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** The task instance's callbacks: which event raised each, whether it ran, why one failed, and
 * its log on a click. A failed callback changed no state: it is shown here and in the event log. */
function Callbacks({ dagId, runId, taskId, mapIndex, version }: { dagId: string; runId: string; taskId: string; mapIndex: number; version: unknown }) {
  const cbs = useLoad(
    () => api.callbacks(dagId, runId, taskId).then((r) => (r.callbacks ?? []).filter((c) => c.map_index === mapIndex)),
    [dagId, runId, taskId, mapIndex, version],
  )
  const [open, setOpen] = useState<number | null>(null)
  const [log, setLog] = useState<string>('')
  if (!cbs.data?.length && !cbs.error) return null
  const show = async (c: api.Callback) => {
    setOpen(c.callback_id)
    setLog('')
    try {
      setLog(await api.callbackLog(dagId, runId, c.callback_id))
    } catch (e) {
      setLog(String((e as Error).message ?? e))
    }
  }
  return (
    <section>
      <h3>Callbacks</h3>
      <ErrorBox error={cbs.error} />
      <table class="list compact" data-testid="ti-callbacks">
        <thead>
          <tr>
            <th>Callback</th>
            <th>Try</th>
            <th>Event</th>
            <th>Ran</th>
            <th>Outcome</th>
          </tr>
        </thead>
        <tbody>
          {(cbs.data ?? []).map((c) => (
            <tr class={`clickable${open === c.callback_id ? ' sel' : ''}`} onClick={() => show(c)} data-testid="ti-callback" data-event={c.event} data-error={c.error}>
              <td>{c.event}</td>
              <td>{c.try_number || ''}</td>
              <td>
                {c.state}
                {c.reason ? <span class="muted"> {c.reason}</span> : null}
              </td>
              <td>{c.done_at ? dateTime(c.done_at) : <span class="muted">pending</span>}</td>
              <td>{!c.done_at ? '' : c.error ? <span class="error">failed: {c.error}</span> : 'ok'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {open != null && (
        <pre class="log" data-testid="ti-callback-log">
          {log}
        </pre>
      )}
    </section>
  )
}
