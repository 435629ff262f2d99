// Browse (Airflow's menu of the same name): task instances and XComs across DAGs, filtered and
// paged in the URL. They read Airflow's cross-DAG endpoints — POST
// /dags/~/dagRuns/~/taskInstances/list and GET /dags/~/dagRuns/~/taskInstances/~/xcomEntries —
// and say so when a server (an older one) does not serve them.

import * as api from '../api'
import { dateTime, duration } from '../format'
import { href, setQueries, type Route } from '../router'
import { TASK_STATES } from '../states'
import { ErrorBox, Pager, StateBadge, useLoad } from '../ui'

const PAGE = 50
const TI_LIST = '/api/v1/dags/~/dagRuns/~/taskInstances/list'

/** The filters both pages take, from the URL. */
function filters(route: Route) {
  const q = route.query
  const get = (k: string) => q.get(k) ?? ''
  return { dag: get('dag'), run: get('run'), task: get('task'), state: get('state'), from: get('from'), to: get('to'), offset: Number(get('offset')) || 0 }
}

/** A date filter's local date as the API's RFC 3339 bound (the day's start, or its end). */
const bound = (d: string, end: boolean) => (d ? new Date(`${d}T${end ? '23:59:59.999' : '00:00:00'}`).toISOString() : undefined)

function Filters({ route, states, dates }: { route: Route; states?: boolean; dates?: boolean }) {
  const f = filters(route)
  const set = (k: string) => (e: Event) => setQueries({ [k]: (e.currentTarget as HTMLInputElement).value || null, offset: null })
  return (
    <div class="filters browse-filters" data-testid="browse-filters">
      <input placeholder="DAG id" value={f.dag} onChange={set('dag')} data-testid="browse-dag" />
      <input placeholder="run id" value={f.run} onChange={set('run')} data-testid="browse-run" />
      <input placeholder="task id" value={f.task} onChange={set('task')} data-testid="browse-task" />
      {states && (
        <select value={f.state} onChange={set('state')} data-testid="browse-state">
          <option value="">any state</option>
          {TASK_STATES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
      )}
      {dates && (
        <>
          <label class="small" title="the runs' logical dates">
            from <input type="date" value={f.from} onChange={set('from')} data-testid="browse-from" />
          </label>
          <label class="small">
            to <input type="date" value={f.to} onChange={set('to')} data-testid="browse-to" />
          </label>
        </>
      )}
    </div>
  )
}

function NotServed({ what }: { what: string }) {
  return (
    <div class="banner warn" data-testid="browse-not-served">
      This server does not serve <code>{what}</code> yet, which this page reads. Upgrade the server, or open a DAG's runs to browse them one by one.
    </div>
  )
}

export function BrowseTaskInstances({ route }: { route: Route }) {
  const f = filters(route)
  const served = useLoad(() => api.serves('POST', TI_LIST), [])
  const list = useLoad(
    async () => {
      if (!(await api.serves('POST', TI_LIST))) {
        // Without the batch endpoint, one run's instances are still listed: its own endpoint.
        if (!f.dag || !f.run) return null
        const all = (await api.runTaskInstances(f.dag, f.run, 1000)).task_instances ?? []
        const hit = all.filter((t) => (!f.task || t.task_id === f.task) && (!f.state || (t.state ?? 'none') === f.state))
        return { task_instances: hit.slice(f.offset, f.offset + PAGE), total_entries: hit.length }
      }
      return api.taskInstancesAcross({
        dag_ids: f.dag ? [f.dag] : undefined,
        dag_run_ids: f.run ? [f.run] : undefined,
        task_ids: f.task ? [f.task] : undefined,
        state: f.state ? [f.state === 'none' ? null : f.state] : undefined,
        execution_date_gte: bound(f.from, false),
        execution_date_lte: bound(f.to, true),
        page_offset: f.offset,
        page_limit: PAGE,
      })
    },
    [route.query.toString()],
    'browse-task-instances',
  )
  const rows = list.data?.task_instances ?? []
  return (
    <div class="page">
      <header class="page-head">
        <h1>Task instances</h1>
        <Filters route={route} states dates />
      </header>
      {served.data === false && !(f.dag && f.run) && (
        <>
          <NotServed what={`POST ${TI_LIST}`} />
          <p class="muted small" data-testid="browse-tis-hint">
            Give a DAG and a run to list that run's task instances.
          </p>
        </>
      )}
      <ErrorBox error={list.error} />
      <table class="list" data-testid="browse-tis" data-total={list.data?.total_entries ?? ''}>
        <thead>
          <tr>
            <th>DAG</th>
            <th>Run</th>
            <th>Task</th>
            <th>State</th>
            <th>Try</th>
            <th>Started</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr data-testid="browse-ti" data-dag-id={t.dag_id} data-task-id={t.task_id} data-state={t.state ?? 'none'}>
              <td>
                <a href={href(['dags', t.dag_id, 'grid'])}>{t.dag_id}</a>
              </td>
              <td class="small">
                <a href={href(['dags', t.dag_id, 'grid'], { run: t.dag_run_id })}>{t.dag_run_id}</a>
              </td>
              <td>
                <a href={href(['dags', t.dag_id, 'runs', t.dag_run_id, 'tasks', t.task_id], t.map_index >= 0 ? { map_index: t.map_index } : {})}>
                  {t.task_id}
                  {t.map_index >= 0 ? ` [${t.map_index}]` : ''}
                </a>
              </td>
              <td>
                <StateBadge state={t.state} />
              </td>
              <td>{t.try_number}</td>
              <td>{dateTime(t.start_date)}</td>
              <td>{duration(t.duration)}</td>
            </tr>
          ))}
          {list.data && rows.length === 0 && (
            <tr>
              <td colSpan={7} class="empty">
                No task instance matches these filters.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager offset={f.offset} page={PAGE} total={list.data?.total_entries ?? 0} prev="Previous" next="Next" />
    </div>
  )
}

export function BrowseXComs({ route }: { route: Route }) {
  const f = filters(route)
  // The XCom list is served per task instance; "~" for every DAG, run and task is Airflow's
  // cross-DAG form, which a server may not take yet.
  const list = useLoad(
    () =>
      api.xcomsAcross(f.dag || '~', f.run || '~', f.task || '~', {
        limit: PAGE,
        offset: f.offset,
      }),
    [route.query.toString()],
    'browse-xcoms',
  )
  const rows = list.data?.xcom_entries ?? []
  const crossUnserved = !!list.error && (!f.dag || !f.run || !f.task)
  return (
    <div class="page">
      <header class="page-head">
        <h1>XComs</h1>
        <Filters route={route} />
      </header>
      {crossUnserved && (
        <>
          <NotServed what="GET /api/v1/dags/~/dagRuns/~/taskInstances/~/xcomEntries" />
          <p class="muted small" data-testid="browse-xcoms-hint">
            Give a DAG, a run and a task to list that task instance's XComs.
          </p>
        </>
      )}
      {!crossUnserved && <ErrorBox error={list.error} />}
      <table class="list" data-testid="browse-xcoms" data-total={list.data?.total_entries ?? ''}>
        <thead>
          <tr>
            <th>DAG</th>
            <th>Run</th>
            <th>Task</th>
            <th>Key</th>
            <th>Value</th>
            <th>When</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((x) => (
            <tr data-testid="browse-xcom" data-key={x.key} data-task-id={x.task_id}>
              <td>{x.dag_id}</td>
              <td class="small">{x.dag_run_id}</td>
              <td>
                <a href={href(['dags', x.dag_id, 'runs', x.dag_run_id, 'tasks', x.task_id])}>{x.task_id}</a>
              </td>
              <td>
                <code>{x.key}</code>
              </td>
              <td class="value-cell">
                <code>{typeof x.value === 'string' ? x.value : JSON.stringify(x.value)}</code>
              </td>
              <td class="small">{dateTime(x.timestamp)}</td>
            </tr>
          ))}
          {list.data && rows.length === 0 && (
            <tr>
              <td colSpan={6} class="empty">
                No XCom matches these filters.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager offset={f.offset} page={PAGE} total={list.data?.total_entries ?? 0} prev="Previous" next="Next" />
    </div>
  )
}
