// Datasets (Airflow's Datasets view): for each dataset URI, the tasks whose success updates it →
// the dataset → the DAGs it triggers, and its recent events with the runs they created.
// Choosing a dataset (?uri=) narrows the events to it.

import { useEffect } from 'preact/hooks'
import * as api from '../api'
import { coalesce, on } from '../events'
import { dateTime, relative } from '../format'
import { href, setQuery, type Route } from '../router'
import { ErrorBox, useLoad } from '../ui'

export function Datasets({ route }: { route: Route }) {
  const list = useLoad(() => api.datasets().then((r) => r.datasets ?? []), [], 'datasets')
  const datasets = list.data ?? []
  const chosen = datasets.find((d) => d.uri === route.query.get('uri'))
  const events = useLoad(() => api.datasetEvents({ dataset_id: chosen?.id, limit: 50 }), [chosen?.id])
  // An event is a task's success; a consumer's run follows it: reload on run and task changes.
  useEffect(() => {
    const reload = coalesce(() => Promise.all([list.reload(), events.reload()]), 1500)
    const offs = [on('dag_run', reload), on('task_instance', reload), on('resync', reload)]
    return () => offs.forEach((f) => f())
  }, [])
  return (
    <div class="page" data-testid="datasets-page">
      <header class="page-head">
        <h1>Datasets</h1>
        <button onClick={list.reload}>Refresh</button>
      </header>
      <ErrorBox error={list.error} />
      <p class="muted">
        A task's <code>outlets</code> name the datasets its success updates; a DAG with <code>schedule: {'{datasets: [...]}'}</code>{' '}
        runs once every dataset it lists was updated since its last dataset-triggered run.
      </p>
      <table class="list" data-testid="datasets-table">
        <thead>
          <tr>
            <th>Updated by (producer tasks)</th>
            <th />
            <th>Dataset</th>
            <th />
            <th>Triggers (consumer DAGs)</th>
          </tr>
        </thead>
        <tbody>
          {datasets.map((d) => (
            <tr key={d.id} data-testid="dataset-row" data-uri={d.uri} class={chosen?.id === d.id ? 'sel' : ''}>
              <td data-testid="dataset-producers">
                {d.producing_tasks.length === 0 && <span class="muted">none</span>}
                {d.producing_tasks.map((p) => (
                  <div key={`${p.dag_id}.${p.task_id}`}>
                    <a href={href(['dags', p.dag_id, 'grid'], { task: p.task_id })} data-testid="dataset-producer">
                      {p.dag_id}.{p.task_id}
                    </a>
                  </div>
                ))}
              </td>
              <td class="muted">→</td>
              <td>
                <a
                  href={href(['datasets'], { uri: d.uri })}
                  data-testid="dataset-uri"
                  onClick={(e) => {
                    e.preventDefault()
                    setQuery('uri', chosen?.id === d.id ? null : d.uri)
                  }}
                >
                  <code>{d.uri}</code>
                </a>
              </td>
              <td class="muted">→</td>
              <td data-testid="dataset-consumers">
                {d.consuming_dags.length === 0 && <span class="muted">none</span>}
                {d.consuming_dags.map((c) => (
                  <div key={c.dag_id}>
                    <a href={href(['dags', c.dag_id, 'grid'])} data-testid="dataset-consumer">
                      {c.dag_id}
                    </a>
                  </div>
                ))}
              </td>
            </tr>
          ))}
          {list.data && datasets.length === 0 && (
            <tr>
              <td colSpan={5} class="muted">
                No datasets yet: give a task <code>outlets: [warehouse://orders]</code>, or schedule a DAG on one.
              </td>
            </tr>
          )}
        </tbody>
      </table>

      <h2 class="section">
        Recent events{chosen ? ' of ' : ''}
        {chosen && <code>{chosen.uri}</code>}
      </h2>
      <ErrorBox error={events.error} />
      <table class="list compact" data-testid="dataset-events">
        <thead>
          <tr>
            <th>When</th>
            <th>Dataset</th>
            <th>Updated by</th>
            <th>Triggered</th>
          </tr>
        </thead>
        <tbody>
          {(events.data?.dataset_events ?? []).map((e, i) => (
            <tr key={i} data-testid="dataset-event" data-uri={e.dataset_uri}>
              <td class="nowrap" title={dateTime(e.timestamp)}>
                {relative(e.timestamp)}
              </td>
              <td>
                <code>{e.dataset_uri}</code>
              </td>
              <td>
                {e.source_dag_id && e.source_run_id && e.source_task_id ? (
                  <a href={href(['dags', e.source_dag_id, 'runs', e.source_run_id, 'tasks', e.source_task_id])}>
                    {e.source_dag_id}.{e.source_task_id}
                    {e.source_map_index >= 0 ? `[${e.source_map_index}]` : ''}
                  </a>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td data-testid="dataset-event-runs">
                {e.created_dagruns.length === 0 && <span class="muted">waiting for the other datasets</span>}
                {e.created_dagruns.map((r) => (
                  <div key={r.run_id}>
                    <a href={href(['dags', r.dag_id, 'grid'], { run: r.run_id })} data-testid="dataset-event-run" data-state={r.state}>
                      {r.dag_id} {r.run_id}
                    </a>
                  </div>
                ))}
              </td>
            </tr>
          ))}
          {events.data && events.data.dataset_events.length === 0 && (
            <tr>
              <td colSpan={4} class="muted">
                No events yet: each success of a task with outlets records one.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  )
}
