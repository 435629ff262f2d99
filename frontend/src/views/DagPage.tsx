import { useEffect, useState } from 'preact/hooks'
import * as api from '../api'
import { DocMd } from '../components/DocMd'
import { TriggerDialog } from '../components/TriggerDialog'
import { coalesce, on } from '../events'
import { dateTime, schedule } from '../format'
import { href, navigate, setQuery, type Route } from '../router'
import { ErrorBox, lazy, markReady, NotFound, Spinner, useCan, useLoad } from '../ui'
import { PauseToggle } from './DagList'
import { GridView } from './Grid'
import { CalendarView } from './Calendar'
import { GanttView } from './Gantt'
import { RunsView } from './Runs'

// CodeMirror and dagre are most of the bundle: fetched when their tab is first opened.
const YamlEditor = lazy(() => import('../components/YamlEditor').then((m) => m.YamlEditor))
const GraphView = lazy(() => import('./Graph').then((m) => m.GraphView))

const NO_GROUPS: api.TaskGroup[] = []

const TABS = [
  ['grid', 'Grid'],
  ['graph', 'Graph'],
  ['gantt', 'Gantt'],
  ['calendar', 'Calendar'],
  ['code', 'Code'],
  ['runs', 'Runs'],
] as const

export function DagPage({ dagId, tab, route }: { dagId: string; tab: string; route: Route }) {
  const dag = useLoad(() => api.dag(dagId), [dagId])
  const tasks = useLoad(() => api.tasks(dagId).then((r) => r.tasks ?? []), [dagId])
  // The DAG's doc_md is in its details, read from its file.
  const details = useLoad(() => api.dagDetails(dagId), [dagId])
  const canUse = useCan('User')
  const canEdit = useCan('Op')
  const [trigger, setTrigger] = useState(false)

  useEffect(() => {
    const reload = coalesce(async () => {
      await Promise.all([dag.reload(), tasks.reload(), details.reload()])
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
          {canEdit && d && (
            <a
              class="button"
              href={d.file_path ? href(['author'], { file: d.file_path }) : href(['author'], { copy: dagId })}
              title={d.file_path ? `edit ${d.file_path}` : 'its file is outside the DAGs folder: edit a copy saved as a new file'}
              data-testid="edit-dag-button"
              data-copy={String(!d.file_path)}
            >
              {d.file_path ? 'Edit' : 'Edit a copy'}
            </a>
          )}
          {canUse && (
            <button class="primary" onClick={() => setTrigger(true)} data-testid="trigger-button" disabled={!d}>
              ▶ Trigger
            </button>
          )}
        </div>
        {d?.description && <p class="muted">{d.description}</p>}
        <DocMd source={details.data?.doc_md} title="DAG docs" testid="dag-doc" />
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
        {tab === 'graph' && <GraphView dagId={dagId} tasks={tasks} groups={dag.data?.task_groups ?? NO_GROUPS} route={route} />}
        {tab === 'gantt' && <GanttView dagId={dagId} tasks={tasks} route={route} />}
        {tab === 'calendar' && <CalendarView dagId={dagId} route={route} />}
        {tab === 'code' && <CodeView dagId={dagId} fileloc={d?.fileloc} />}
        {tab === 'runs' && <RunsView dagId={dagId} route={route} />}
        {!TABS.some(([id]) => id === tab) && (
          <NotFound
            what={
              <>
                The DAG {dagId} has no tab <code>{tab}</code>: its tabs are {TABS.map(([id]) => id).join(', ')}.
              </>
            }
          />
        )}
      </section>

      {trigger && d && (
        <TriggerDialog
          dagId={dagId}
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
  const src = useLoad(() => api.source(dagId), [dagId])
  useEffect(() => on('dag', (e) => e.dag_id === dagId && e.is_paused === undefined && src.reload()), [dagId])
  useEffect(() => {
    if (src.error) markReady('dag-code')
  }, [src.error])
  return (
    <div class="code-view">
      {fileloc && (
        <div class="muted small" data-testid="dag-fileloc">
          {fileloc}
        </div>
      )}
      <ErrorBox error={src.error} />
      {src.data === undefined && !src.error ? <Spinner /> : <YamlEditor value={src.data ?? ''} readOnly testid="code-editor" onReady={() => markReady('dag-code')} />}
    </div>
  )
}
