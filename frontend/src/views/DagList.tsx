import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import * as api from '../api'
import { TriggerDialog } from '../components/TriggerDialog'
import { coalesce, on } from '../events'
import { count, dateTime, relative, schedule } from '../format'
import { stateColor } from '../states'
import { href, navigate, setQuery, useRoute } from '../router'
import { desktop } from '../desktop'
import { ErrorBox, Pager, StateDot, useCan, useLoad, useSession } from '../ui'

const PAGE = 100

export function DagList() {
  const route = useRoute()
  const q = route.query.get('q') ?? ''
  const tags = route.query.getAll('tag')
  const status = route.query.get('status') ?? 'all' // all | active | paused
  const offset = Number(route.query.get('offset') ?? 0) || 0
  const [search, setSearch] = useState(q)
  const canUse = useCan('User')
  const canEdit = useCan('Op')
  // In the desktop window an Admin picks the DAGs folder in the native dialog; the window
  // reloads on the new folder by itself.
  const isAdmin = useCan('Admin')
  const pickFolder = useSession()?.desktop === true && isAdmin
  const [folderError, setFolderError] = useState('')
  const [trigger, setTrigger] = useState<api.UiDag | null>(null)
  const [showErrors, setShowErrors] = useState(false)
  const seenTags = useRef(new Set<string>())

  const list = useLoad(
    () =>
      api.uiDags({
        limit: PAGE,
        offset,
        dag_id_pattern: q || undefined,
        tags: tags.length ? tags : undefined,
        paused: status === 'all' ? undefined : status === 'paused',
      }),
    [q, tags.join(','), status, offset],
    'dags',
  )

  // Live: a new run, a state change, a pause or a DAG folder sync reloads the page of DAGs,
  // coalesced so a busy scheduler costs a request now and then, not one per event.
  useEffect(() => {
    const reload = coalesce(list.reload, 500)
    const offs = [
      on('dag_run', reload),
      on('resync', reload),
      on('dag', (e) => {
        if (e.is_paused !== undefined)
          list.set((d) => d && { ...d, dags: d.dags.map((x) => (x.dag_id === e.dag_id ? { ...x, is_paused: !!e.is_paused } : x)) })
        else reload()
      }),
    ]
    return () => offs.forEach((f) => f())
  }, [])

  // Typing filters after a pause, and the filter lives in the URL so Back keeps it.
  useEffect(() => {
    if (search === q) return
    const t = setTimeout(() => setQuery('q', search), 250)
    return () => clearTimeout(t)
  }, [search])

  const dags = list.data?.dags ?? []
  for (const d of dags) for (const t of d.tags ?? []) seenTags.current.add(t.name)
  const allTags = useMemo(() => [...seenTags.current].sort(), [list.data])

  const setTags = (next: string[]) => {
    const r = new URLSearchParams(route.query)
    r.delete('tag')
    r.delete('offset')
    next.forEach((t) => r.append('tag', t))
    navigate(`#/dags${r.toString() ? `?${r}` : ''}`, true)
  }
  const addTag = (t: string) => !tags.includes(t) && setTags([...tags, t])

  const togglePause = async (d: api.UiDag) => {
    const next = !d.is_paused
    list.set((x) => x && { ...x, dags: x.dags.map((y) => (y.dag_id === d.dag_id ? { ...y, is_paused: next } : y)) })
    try {
      await api.patchDag(d.dag_id, next)
    } catch (e) {
      list.set((x) => x && { ...x, dags: x.dags.map((y) => (y.dag_id === d.dag_id ? { ...y, is_paused: !next } : y)) })
      alert(api.errorText(e))
    }
  }

  const nErrors = list.data?.import_errors ?? 0
  const total = list.data?.total_entries ?? 0

  return (
    <div class="page">
      <header class="page-head">
        <h1>DAGs</h1>
        <div class="filters">
          <div class="seg" role="group" aria-label="status">
            {(['all', 'active', 'paused'] as const).map((s) => (
              <button
                class={status === s ? 'on' : ''}
                onClick={() => {
                  setQuery('offset', null)
                  setQuery('status', s === 'all' ? null : s)
                }}
                data-testid={`dag-filter-${s}`}
              >
                {s[0].toUpperCase() + s.slice(1)}
              </button>
            ))}
          </div>
          <input
            type="search"
            placeholder="Search DAGs"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
            data-testid="dag-search"
          />
          <select
            value=""
            onChange={(e) => {
              const t = e.currentTarget.value
              if (t) addTag(t)
              e.currentTarget.value = ''
            }}
            data-testid="dag-tag-filter"
          >
            <option value="">Filter by tag…</option>
            {allTags
              .filter((t) => !tags.includes(t))
              .map((t) => (
                <option value={t}>{t}</option>
              ))}
          </select>
          {tags.map((t) => (
            <button class="tag on" onClick={() => setTags(tags.filter((x) => x !== t))} title="remove this filter" data-testid="dag-tag-chip">
              {t} ×
            </button>
          ))}
          {pickFolder && (
            <button
              data-testid="pick-dags-folder"
              title="choose the folder wasmflow reads DAG files from"
              onClick={() => desktop.pickDagsFolder().catch((e) => setFolderError(api.errorText(e)))}
            >
              DAGs folder…
            </button>
          )}
          {canEdit && (
            <a class="button primary" href="#/author" data-testid="new-dag-button">
              + New DAG
            </a>
          )}
        </div>
      </header>

      {folderError && <ErrorBox error={folderError} testid="pick-dags-folder-error" />}
      {nErrors > 0 && (
        <div class="banner warn" data-testid="import-errors-banner">
          <button class="link" onClick={() => setShowErrors(!showErrors)} data-testid="import-errors-toggle">
            {nErrors} DAG import error{nErrors === 1 ? '' : 's'} {showErrors ? '▾' : '▸'}
          </button>
          {showErrors && <ImportErrors />}
        </div>
      )}

      <ErrorBox error={list.error} />

      <table class="list dags" data-testid="dag-table">
        <thead>
          <tr>
            <th class="narrow" title="paused / active">On</th>
            <th>DAG</th>
            <th>Owner</th>
            <th>Schedule</th>
            <th title="runs by state: click a count for those runs">Runs</th>
            <th>Last run</th>
            <th>Next run</th>
            <th class="narrow" />
          </tr>
        </thead>
        <tbody>
          {dags.map((d) => (
            <tr key={d.dag_id} data-testid="dag-row" data-dag-id={d.dag_id} data-paused={String(d.is_paused)} class={d.is_paused ? 'paused' : ''}>
              <td class="narrow">
                <PauseToggle paused={d.is_paused} disabled={!canUse} onToggle={() => togglePause(d)} />
              </td>
              <td>
                <a href={href(['dags', d.dag_id, 'grid'])} class="dag-id" data-testid="dag-link">
                  {d.dag_id}
                </a>
                {d.description && <div class="muted small">{d.description}</div>}
                <div class="tags">
                  {(d.tags ?? []).map((t) => (
                    <button class="tag" onClick={() => addTag(t.name)} title={`show DAGs tagged ${t.name}`}>
                      {t.name}
                    </button>
                  ))}
                </div>
              </td>
              <td class="muted">{(d.owners ?? []).join(', ')}</td>
              <td>
                <code data-testid="dag-schedule">{schedule(d.schedule_interval)}</code>
              </td>
              <td data-testid="dag-run-counts">
                <RunCounts dag={d} />
              </td>
              <td data-testid="dag-last-run">
                <LastRun dag={d} />
              </td>
              <td data-testid="dag-next-run">
                <NextRun dag={d} />
              </td>
              <td class="narrow">
                {canUse && (
                  <button class="icon" title="trigger a run" onClick={() => setTrigger(d)} data-testid="trigger-button">
                    ▶
                  </button>
                )}
              </td>
            </tr>
          ))}
          {list.data && dags.length === 0 && (
            <tr>
              <td colSpan={8} class="empty">
                No DAGs match. Put a YAML file in the DAGs folder, or clear the filters.
              </td>
            </tr>
          )}
        </tbody>
      </table>

      <Pager offset={offset} page={PAGE} total={total} prev="Previous" next="Next" />

      {trigger && (
        <TriggerDialog
          dagId={trigger.dag_id}
          onClose={() => setTrigger(null)}
          onTriggered={() => {
            const id = trigger.dag_id
            setTrigger(null)
            navigate(href(['dags', id, 'grid']))
          }}
        />
      )}
    </div>
  )
}

export function PauseToggle(props: { paused: boolean; disabled?: boolean; onToggle: () => void }) {
  return (
    <label class={`switch${props.disabled ? ' disabled' : ''}`} title={props.paused ? 'paused: click to unpause' : 'active: click to pause'}>
      <input
        type="checkbox"
        checked={!props.paused}
        disabled={props.disabled}
        onChange={props.onToggle}
        data-testid="pause-toggle"
        data-paused={String(props.paused)}
        aria-label={props.paused ? 'unpause' : 'pause'}
      />
      <span />
    </label>
  )
}

function ImportErrors() {
  const errs = useLoad(() => api.importErrors(), [])
  return (
    <div class="import-errors" data-testid="import-errors-list">
      <ErrorBox error={errs.error} />
      {(errs.data?.import_errors ?? []).map((e) => (
        <details open data-testid="import-error">
          <summary>
            <code>{e.filename}</code> <span class="muted small">{dateTime(e.timestamp)}</span>
          </summary>
          <pre>{e.stack_trace}</pre>
        </details>
      ))}
    </div>
  )
}

/** Airflow's "Runs" column: a circle per run state with how many runs are in it; a count links
 * to the DAG's runs in that state. */
function RunCounts({ dag }: { dag: api.UiDag }) {
  const counts = dag.run_counts ?? {}
  return (
    <span class="run-counts">
      {RUN_STATES.map((st) => {
        const n = counts[st] ?? 0
        const circle = (
          <span class={`count-circle state-${st}${n ? '' : ' zero'}`} style={{ borderColor: stateColor(st) }} data-testid="run-count" data-state={st} data-count={n}>
            {n || ''}
          </span>
        )
        return n ? (
          <a href={href(['dags', dag.dag_id, 'runs'], { state: st })} title={`${count(n, 'run')} ${st}`}>
            {circle}
          </a>
        ) : (
          <span title={`no ${st} runs`}>{circle}</span>
        )
      })}
    </span>
  )
}

/** The newest run: its logical date linking to it in the grid, a dot of its state, and the
 * DAG's five newest runs as dots after it. */
function LastRun({ dag }: { dag: api.UiDag }) {
  const last = dag.last_run
  if (!last) return <span class="muted">—</span>
  return (
    <span class="last-run">
      <a href={href(['dags', dag.dag_id, 'grid'], { run: last.dag_run_id })} title={`${last.dag_run_id}: ${last.state}`} data-testid="dag-last-run-link" data-run-id={last.dag_run_id}>
        {dateTime(last.logical_date)}
      </a>
      <div class="recent-runs" data-testid="dag-recent-runs">
        {[...(dag.recent_runs ?? [])].reverse().map((r) => (
          <StateDot state={r.state} title={`${r.dag_run_id}\n${dateTime(r.logical_date)}: ${r.state}`} href={href(['dags', dag.dag_id, 'graph'], { run: r.dag_run_id })} />
        ))}
      </div>
    </span>
  )
}

/** Airflow 2.3+'s "Next Run": when the run will be created (its run-after: the data interval's
 * end), the logical date it will have on hover. */
function NextRun({ dag }: { dag: api.UiDag }) {
  if (!dag.next_dagrun) return <span class="muted">—</span>
  const after = dag.next_dagrun_create_after ?? dag.next_dagrun_data_interval_end ?? dag.next_dagrun
  return (
    <span
      title={`logical date ${dateTime(dag.next_dagrun)}\ndata interval ${dateTime(dag.next_dagrun_data_interval_start)} – ${dateTime(dag.next_dagrun_data_interval_end)}`}
      data-testid="dag-next-run-after"
      data-logical-date={dag.next_dagrun}
    >
      {dateTime(after)}
      <div class="muted small">{relative(after)}</div>
    </span>
  )
}

const RUN_STATES: api.RunState[] = ['queued', 'running', 'success', 'failed']
