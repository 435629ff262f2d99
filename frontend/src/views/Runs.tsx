import { useEffect } from 'preact/hooks'
import * as api from '../api'
import { coalesce, on } from '../events'
import { between, count, dateTime, duration } from '../format'
import { href, setQuery, type Route } from '../router'
import { ErrorBox, Pager, StateBadge, useLoad } from '../ui'
import { RunActions } from './RunParts'

const PAGE = 50
const STATES = ['queued', 'running', 'success', 'failed']

export function RunsView({ dagId, route }: { dagId: string; route: Route }) {
  const offset = Number(route.query.get('offset') ?? 0) || 0
  const state = route.query.get('state') ?? ''
  const selRun = route.query.get('run')
  const runs = useLoad(
    () => api.dagRuns(dagId, { limit: PAGE, offset, state: state ? [state] : undefined, order_by: '-logical_date' }),
    [dagId, offset, state],
    'dag-runs',
  )

  useEffect(() => {
    const reload = coalesce(runs.reload, 500)
    const offs = [
      on('dag_run', (r) => {
        if (r.dag_id !== dagId) return
        let known = false
        runs.set((d) => d && { ...d, dag_runs: d.dag_runs.map((x) => (x.dag_run_id === r.dag_run_id ? ((known = true), { ...x, ...r }) : x)) })
        if (!known || state) reload()
      }),
      on('resync', reload),
    ]
    return () => offs.forEach((f) => f())
  }, [dagId, state])

  const list = runs.data?.dag_runs ?? []
  const total = runs.data?.total_entries ?? 0
  return (
    <div class="runs-tab">
      <div class="toolbar">
        <label>
          State{' '}
          <select
            value={state}
            onChange={(e) => {
              setQuery('offset', null)
              setQuery('state', e.currentTarget.value || null)
            }}
            data-testid="runs-state-filter"
          >
            <option value="">any</option>
            {STATES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <span class="muted small">{count(total, 'run')}</span>
      </div>
      <ErrorBox error={runs.error} />
      <table class="list" data-testid="runs-table">
        <thead>
          <tr>
            <th>State</th>
            <th>Run id</th>
            <th>Type</th>
            <th>Logical date</th>
            <th>Started</th>
            <th>Ended</th>
            <th>Duration</th>
            <th>Conf</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((r) => (
            <tr key={r.dag_run_id} data-testid="run-row" data-run-id={r.dag_run_id} data-state={r.state} class={selRun === r.dag_run_id ? 'sel' : ''}>
              <td>
                <StateBadge state={r.state} />
              </td>
              <td>
                <a href={href(['dags', dagId, 'graph'], { run: r.dag_run_id })} data-testid="run-link">
                  <code>{r.dag_run_id}</code>
                </a>
              </td>
              <td class="muted">{r.run_type}</td>
              <td>{dateTime(r.logical_date)}</td>
              <td>{dateTime(r.start_date)}</td>
              <td>{dateTime(r.end_date)}</td>
              <td>{duration(between(r.start_date, r.end_date))}</td>
              <td class="conf">{r.conf && Object.keys(r.conf).length > 0 ? <code title={JSON.stringify(r.conf, null, 2)}>{JSON.stringify(r.conf)}</code> : ''}</td>
              <td class="nowrap">
                <RunActions dagId={dagId} run={r} onChange={runs.reload} />
              </td>
            </tr>
          ))}
          {runs.data && list.length === 0 && (
            <tr>
              <td colSpan={9} class="empty">
                No runs{state ? ` in state ${state}` : ''}.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager offset={offset} page={PAGE} total={total} prev="Newer" next="Older" />
    </div>
  )
}
