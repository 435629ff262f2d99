// The DAG editor (#/author, #/author?file=<path>, #/author?copy=<dag_id>): the YAML on the left,
// checked by the server's own parser as you type (POST /dagFiles/validate, 250 ms after the last
// keystroke), its problems inline and listed; on the right the live graph and a task form that
// edits the same text. Save writes the file (PUT /dagFiles/<path>) against the sha256 it was
// opened at, so a change made on disk meanwhile is never overwritten unasked.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { EditorView } from '@codemirror/view'
import * as api from '../api'
import * as dy from '../components/dagYaml'
import { replaceText, YamlEditor, type YamlDiagnostic } from '../components/YamlEditor'
import { desktop } from '../desktop'
import { count } from '../format'
import { href, navigate, type Route } from '../router'
import { Empty, ErrorBox, markReady, Spinner } from '../ui'
import { AuthorGraph } from './AuthorGraph'
import { TaskForm } from './AuthorTasks'
import { useAuthoringLists, useSaveKeyAndLeaveGuard, useValidate, useValidation, type EditorRef } from './authorHooks'

/** Above this size the text is read for the form only while the Tasks tab is open (keystrokes stay fast). */
const BIG_TEXT = 100_000
/** Above this many tasks the live graph is not drawn (dagre on every change would stall typing). */
const MAX_LIVE_GRAPH = 400
const ID_RE = /^[A-Za-z0-9_.-]+$/

interface Opened {
  /** a new value remounts the editor with `text` */
  key: number
  text: string
  path: string
  /** sha256 of the file as opened; '' for a file that does not exist yet */
  sha: string
  /** the read-only DAG this is a copy of */
  copyOf?: string
}

let opens = 0

async function open(file: string | null, copy: string | null): Promise<Opened> {
  if (file) {
    const f = await api.dagFile(file)
    return { key: ++opens, text: f.content, path: f.path || file, sha: f.sha256 }
  }
  if (copy) {
    const src = await api.source(copy)
    const id = `${copy}_copy`
    return { key: ++opens, text: dy.applyEdit(src, dy.setDagId(id)) ?? src, path: `${id}.yaml`, sha: '', copyOf: copy }
  }
  const mods = await api.modules('new_dag.yaml').catch(() => [] as api.ModuleInfo[])
  return { key: ++opens, text: template(mods[0]?.ref), path: 'my_dag.yaml', sha: '' }
}

/** A new DAG that validates as it is: its first task runs the DAGs folder's first module, or,
 * in a folder with none yet, a built-in script (pick an example module or import one under
 * Tasks to change it). */
function template(module?: string): string {
  const head = `dag_id: my_dag
description: What this DAG does
schedule: null            # manual runs only; or @daily, a cron line, "@every 30m"
tasks:
  - id: first_task
`
  if (module) return head + `    module: ${module}\n`
  return (
    head +
    `    operator: script       # built in; or a module: pick an example or import a .wasm under Tasks
    language: javascript
    code: |
      log("first_task runs for " + ds);
      return "hello";
`
  )
}

/** Why a path cannot be a DAG file under the DAGs folder, or ''. */
export function pathProblem(p: string): string {
  if (p === '') return 'the file needs a name'
  if (p.startsWith('/') || p.includes('\\')) return 'a path relative to the DAGs folder, with / between folders'
  const segs = p.split('/')
  if (segs.some((s) => s === '' || s === '.' || s === '..')) return 'no empty, . or .. folders'
  if (segs.some((s) => s.startsWith('.'))) return 'no hidden (.name) files or folders'
  if (!/\.ya?ml$/.test(p)) return 'a DAG file ends in .yaml or .yml'
  return ''
}


export function AuthorPage({ route }: { route: Route }) {
  const fileParam = route.query.get('file')
  const copyParam = route.query.get('copy')

  const [opened, setOpened] = useState<Opened | null>(null)
  const [loadError, setLoadError] = useState('')
  const [text, setText] = useState('')
  /** what is on disk: the text last opened or saved, '' for a new file */
  const [saved, setSaved] = useState('')
  const [sha, setSha] = useState('')
  const [pathInput, setPathInput] = useState('')
  const [pathEdited, setPathEdited] = useState(false)
  const [saving, setSaving] = useState(false)
  const [saveError, setSaveError] = useState('')
  const [conflict, setConflict] = useState<{ current: string } | null>(null)
  const [savedAs, setSavedAs] = useState<api.SavedDagFile | null>(null)
  const [tab, setTab] = useState<'graph' | 'tasks'>('graph')
  const [selected, setSelected] = useState(0)
  const view = useRef<EditorView | null>(null)
  const checking = useValidation()
  const { validation, setValidation, validationError, checked, setChecked } = checking

  const isNew = sha === ''
  const readNow = tab === 'tasks' || text.length < BIG_TEXT
  const model = useMemo(() => (readNow ? dy.readDag(text) : null), [text, readNow]) ?? {
    ...dy.readDag(''),
    dagId: validation?.dag_id ?? null,
  }
  // A new file's name follows its dag_id until the user types one.
  const filePath =
    !isNew || pathEdited || !model.dagId || !ID_RE.test(model.dagId) ? pathInput : `${model.dagId}.yaml`
  const pathErr = pathProblem(filePath)
  const checkPath = pathErr ? '' : filePath
  // Derived, not stored: a render with a new text is "validating" at once.
  const validating = !checked || checked.text !== text || checked.path !== checkPath
  const changed = text !== saved
  const valid = !!validation?.valid && !validationError
  const canSave = !!opened && valid && !validating && changed && !saving && !pathErr

  // The latest values for the window listeners and the leave guard.
  const cur = useRef<EditorRef>({ path: '', isNew: true, dirty: false, canSave: false, save: () => {} })
  cur.current.path = filePath
  cur.current.isNew = isNew
  // Work to lose: a change not saved (an untouched new file or copy loses nothing).
  cur.current.dirty = !!opened && changed && !(isNew && text === opened.text)
  // The desktop window asks before quitting with unsaved work (a browser has beforeunload).
  const dirty = cur.current.dirty
  useEffect(() => {
    desktop.setUnsaved(dirty).catch(() => {})
  }, [dirty])
  useEffect(() => () => void desktop.setUnsaved(false).catch(() => {}), [])

  // ---- open a file, a copy or a new one
  useEffect(() => {
    // our own address change after saving a new file: already open
    if (fileParam && fileParam === cur.current.path && !cur.current.isNew && opened) return
    let stale = false
    setLoadError('')
    open(fileParam, copyParam).then(
      (o) => {
        if (stale) return
        setOpened(o)
        setText(o.text)
        setSaved(o.sha ? o.text : '')
        setSha(o.sha)
        setPathInput(o.path)
        setPathEdited(false)
        setValidation(null)
        setChecked(null)
        setSaveError('')
        setConflict(null)
        setSavedAs(null)
        setSelected(0)
      },
      (e) => {
        if (stale) return
        setLoadError(api.errorText(e))
        markReady('author')
      },
    )
    return () => {
      stale = true
    }
  }, [fileParam, copyParam])

  // ---- validate as the user types; what the task form offers
  useValidate(checking, opened ? opened.key : null, text, checkPath)
  const { modules, modulesError, reloadModules, operators, operatorsError, connections, connectionsError } = useAuthoringLists(
    opened?.key ?? null,
    pathErr ? null : filePath,
  )

  // ---- saving
  const save = async (base = sha) => {
    const v = view.current
    const content = v ? v.state.doc.toString() : text
    const path = filePath
    setSaving(true)
    setSaveError('')
    setConflict(null)
    try {
      const r = await api.saveDagFile(path, content, base)
      setSha(r.sha256)
      setSaved(content)
      setPathInput(r.path || path)
      setPathEdited(true)
      setSavedAs(r)
      cur.current.path = r.path || path
      cur.current.isNew = false
      cur.current.dirty = false
      if (fileParam !== cur.current.path) navigate(href(['author'], { file: cur.current.path }), true)
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 422 && Array.isArray(e.body.problems)) {
        setValidation((x) => ({
          valid: false,
          dag_id: x?.dag_id ?? null,
          tasks: x?.tasks ?? [],
          problems: e.body.problems as api.FileProblem[],
        }))
        setChecked({ text: content, path: checkPath })
        setSaveError('Not saved: the file has problems.')
      } else if (e instanceof api.ApiError && e.status === 409) {
        setConflict({ current: typeof e.body.current_sha256 === 'string' ? e.body.current_sha256 : '' })
      } else setSaveError(api.errorText(e))
    } finally {
      setSaving(false)
    }
  }
  cur.current.canSave = canSave
  cur.current.save = () => void save()

  const reloadFromDisk = async () => {
    setSaveError('')
    try {
      const f = await api.dagFile(filePath)
      setSha(f.sha256)
      setSaved(f.content)
      setConflict(null)
      if (view.current) replaceText(view.current, f.content)
      else setText(f.content)
    } catch (e) {
      setSaveError(api.errorText(e))
    }
  }

  // Ctrl+S / Cmd+S saves; leaving with unsaved changes asks first.
  useSaveKeyAndLeaveGuard(cur)

  // ---- the editor and the form
  const edit = (e: dy.Edit): boolean => {
    const v = view.current
    if (!v) return false
    const next = dy.applyEdit(v.state.doc.toString(), e)
    if (next === null) return false
    replaceText(v, next)
    return true
  }
  /** Puts the editor's cursor at the start of a line, in view; `focus` also moves the focus there. */
  const goTo = (line: number, focus = true) => {
    const v = view.current
    if (!v || line < 1) return
    const l = v.state.doc.line(Math.min(line, v.state.doc.lines))
    v.dispatch({ selection: { anchor: l.from }, scrollIntoView: true })
    if (focus) v.focus()
  }

  const problems = validation?.problems ?? []
  const diagnostics = useMemo<YamlDiagnostic[]>(
    () => problems.map((p) => ({ line: p.line, column: p.column, message: p.message })),
    [validation],
  )
  const sel = Math.min(selected, Math.max(0, model.tasks.length - 1))
  const selectTask = (i: number, t = model.tasks[i]) => {
    setSelected(i)
    if (t) goTo(t.lines[0], false)
  }

  if (loadError) {
    return (
      <div class="page">
        <ErrorBox error={loadError} />
        <a href="#/dags">← DAGs</a>
      </div>
    )
  }
  if (!opened) {
    return (
      <div class="page">
        <Spinner />
      </div>
    )
  }

  const state = saving ? 'saving' : validating ? 'validating' : !valid ? 'invalid' : !changed ? (savedAs ? 'saved' : 'unchanged') : 'valid'
  const why =
    saving ? 'saving…'
    : validating ? 'checking…'
    : validationError ? validationError
    : !valid ? `${problems.length} problem${problems.length === 1 ? '' : 's'}`
    : pathErr ? `file name: ${pathErr}`
    : !changed ? (savedAs ? 'saved' : 'no changes')
    : isNew ? 'valid, not saved yet'
    : 'valid, unsaved changes'
  const dagId = savedAs?.dag_id ?? validation?.dag_id ?? model.dagId
  // the server's reading (also of a file with problems); until it answers, the form's
  const graphTasks: api.DraftTask[] =
    validation?.tasks ?? model.tasks.map((t) => ({ task_id: t.id, upstream: t.upstream, kind: t.branch ? 'branch' : t.sensor !== null ? 'sensor' : 'module', trigger_rule: t.triggerRule ?? 'all_success', line: t.lines[0] }))

  return (
    <div class="page author" data-testid="author-page" data-new={String(isNew)} data-path={filePath}>
      <header class="page-head">
        <div class="title">
          <a href="#/dags" class="muted">
            DAGs
          </a>{' '}
          /{' '}
          <h1 data-testid="author-title">{isNew ? (opened.copyOf ? `Copy of ${opened.copyOf}` : 'New DAG') : `Edit ${filePath}`}</h1>
          {changed && <span class="muted small" title="unsaved changes">●</span>}
        </div>
        <div class="actions">
          <span class={`author-status s-${state}`} data-testid="author-status" data-state={state} role="status">
            {validating && <span class="spinner small-spinner" aria-hidden="true" />}
            {why}
          </span>
          <button
            class="primary"
            data-testid="author-save"
            disabled={!canSave}
            title={canSave ? 'save (Ctrl+S)' : `cannot save: ${why}`}
            onClick={() => save()}
          >
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      </header>

      {opened.copyOf && isNew && (
        <div class="banner warn small" data-testid="author-copy-note">
          <code>{opened.copyOf}</code> is read-only (its file is outside the DAGs folder): this is a copy, saved as a new file.
          Module paths in it may need picking again.
        </div>
      )}
      {conflict && (
        <div class="banner warn" role="alert" data-testid="author-conflict">
          <strong>
            {isNew
              ? `${filePath} already exists on disk.`
              : conflict.current
                ? `${filePath} changed on disk since you opened it.`
                : `${filePath} was deleted on disk since you opened it.`}
          </strong>{' '}
          <span class="muted small">Reload it to see what changed there, or overwrite it with the text here.</span>
          <div class="actions">
            <button data-testid="author-reload" onClick={reloadFromDisk}>
              Reload from disk
            </button>
            <button class="danger" data-testid="author-overwrite" onClick={() => save(conflict.current)}>
              Overwrite
            </button>
          </div>
        </div>
      )}
      <ErrorBox error={saveError} testid="author-save-error" />
      {savedAs && !changed && (
        <div class="banner ok" data-testid="author-saved">
          Saved <code>{savedAs.path}</code>.{' '}
          <a href={href(['dags', savedAs.dag_id, 'grid'])} data-testid="author-dag-link">
            Open {savedAs.dag_id} →
          </a>
        </div>
      )}

      <div class="author-body">
        <section class="author-left">
          <label class="author-file">
            <span>File {isNew ? <small class="muted">(in the DAGs folder; follows the dag_id until you change it)</small> : null}</span>
            <input
              class="mono"
              value={filePath}
              readOnly={!isNew}
              aria-invalid={!!pathErr}
              spellcheck={false}
              data-testid="author-file-name"
              onInput={(e) => {
                setPathEdited(true)
                setPathInput(e.currentTarget.value)
              }}
            />
            {pathErr && (
              <span class="inline-error" data-testid="author-file-name-error">
                {pathErr}
              </span>
            )}
          </label>
          <YamlEditor
            key={opened.key}
            value={opened.text}
            readOnly={false}
            onChange={setText}
            diagnostics={diagnostics}
            testid="author-editor"
            label={`DAG file ${filePath}`}
            onReady={(v) => (view.current = v)}
          />
          <section class="author-problems" aria-label="problems">
            <h3>
              Problems <span class="muted small">{validating ? 'checking…' : problems.length === 0 && !validationError ? 'none' : ''}</span>
            </h3>
            <ErrorBox error={validationError} testid="author-validate-error" />
            <ul
              data-testid="author-problems"
              data-count={problems.length}
              data-validating={String(validating)}
              class={validating ? 'stale' : ''}
              // for tests: the text these problems are for (compare with the editor's cmView)
              ref={(el) => {
                if (el) (el as HTMLElement & { checkedText?: string }).checkedText = checked?.text
              }}
            >
              {problems.map((p) => (
                <li data-testid="author-problem" data-line={p.line}>
                  <button class="link" onClick={() => goTo(p.line)} title="go to the line">
                    line {p.line}
                  </button>
                  : {p.message}
                </li>
              ))}
            </ul>
          </section>
        </section>

        <section class="author-right">
          <nav class="tabs" role="tablist">
            {(
              [
                ['graph', 'Graph'],
                ['tasks', 'Tasks'],
              ] as const
            ).map(([id, label]) => (
              <button
                type="button"
                role="tab"
                aria-selected={tab === id}
                class={`tab${tab === id ? ' active' : ''}`}
                data-testid={`author-tab-${id}`}
                onClick={() => setTab(id)}
              >
                {label}
              </button>
            ))}
            <span class="spacer" />
            {dagId && !isNew && (
              <a class="small author-open" href={href(['dags', dagId, 'grid'])}>
                {dagId} →
              </a>
            )}
          </nav>
          <div class="author-panel" role="tabpanel">
            {tab === 'graph' && graphTasks.length > MAX_LIVE_GRAPH ? (
              <Empty>
                {count(graphTasks.length, 'task')}: too many to draw on every change. The DAG's Graph tab shows them once saved.
              </Empty>
            ) : tab === 'graph' ? (
              <AuthorGraph
                tasks={graphTasks}
                selected={model.tasks[sel]?.id ?? null}
                onSelect={(id) => {
                  const t = dy.readDag(text).tasks.find((x) => x.id === id)
                  if (t) selectTask(t.index, t)
                  setTab('tasks')
                }}
              />
            ) : (
              <TaskForm
                model={model}
                selected={sel}
                onSelect={selectTask}
                edit={edit}
                problems={problems}
                modules={modules}
                modulesError={modulesError}
                reloadModules={reloadModules}
                operators={operators}
                operatorsError={operatorsError}
                connections={connections}
                connectionsError={connectionsError}
              />
            )}
          </div>
        </section>
      </div>
    </div>
  )
}
