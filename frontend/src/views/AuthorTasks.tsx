// The editor's task form: a list of the tasks, and the selected one's fields. Every change is an
// edit of the YAML text (components/dagYaml.ts), so the form and the editor never disagree; the
// form reads its values back from the text.

import { useEffect, useRef, useState } from 'preact/hooks'
import * as api from '../api'
import * as dy from '../components/dagYaml'
import { desktop } from '../desktop'
import { OperatorForm, operatorKeys, shownFields } from './AuthorOperator'

export interface TaskFormProps {
  model: dy.DagModel
  selected: number
  onSelect: (i: number) => void
  /** applies an edit to the editor's text; false when it could not be made */
  edit: (e: dy.Edit) => boolean
  problems: api.FileProblem[]
  modules: api.ModuleInfo[] | undefined
  modulesError: string
  /** reloads the module list; resolves to it */
  reloadModules: () => Promise<api.ModuleInfo[]>
  /** the built-in operators (GET /operators) */
  operators: api.Operator[] | undefined
  operatorsError: string
  /** the connections an operator's conn_id fields may name (GET /connections) */
  connections: api.Connection[] | undefined
  connectionsError: string
}

export function TaskForm(props: TaskFormProps) {
  const { model, selected } = props
  const task = model.tasks[selected]
  const locked = !model.ok

  const problemsOf = (t: dy.FormTask) => props.problems.filter((p) => p.line >= t.lines[0] && p.line <= t.lines[1])

  return (
    <div class="author-tasks" data-testid="author-tasks">
      {model.syntaxError && (
        <div class="banner warn small" data-testid="author-form-locked">
          The form is read-only until the YAML parses: line {model.syntaxError.line}: {model.syntaxError.message}
        </div>
      )}
      <div class="author-task-list-head">
        <h3>Tasks</h3>
        <button
          data-testid="author-add-task"
          disabled={locked || !model.listEditable}
          title={model.listEditable ? 'append a task' : 'tasks is not a block list: edit it in the YAML'}
          onClick={() => {
            const id = dy.freshId(model)
            const module = task?.module ?? props.modules?.[0]?.ref ?? null
            if (props.edit(dy.addTask(id, module))) props.onSelect(model.tasks.length)
          }}
        >
          + Add task
        </button>
      </div>
      <ul class="author-task-list" role="listbox" aria-label="tasks">
        {model.tasks.map((t) => {
          const n = problemsOf(t).length
          return (
            <li>
              <button
                role="option"
                aria-selected={t.index === selected}
                class={t.index === selected ? 'on' : ''}
                data-testid="author-task-item"
                data-task-id={t.id}
                data-index={t.index}
                onClick={() => props.onSelect(t.index)}
              >
                <span class="mono">{t.id || <em class="muted">(no id)</em>}</span>
                {n > 0 && (
                  <span class="problem-count" title={`${n} problem${n === 1 ? '' : 's'}`}>
                    {n}
                  </span>
                )}
              </button>
            </li>
          )
        })}
        {model.tasks.length === 0 && model.ok && <li class="muted small">No tasks yet.</li>}
      </ul>
      {task && (
        <TaskFields
          key={task.index}
          {...props}
          task={task}
          locked={locked || !task.editable}
          taskProblems={problemsOf(task).filter((p) => !task.sensorLines || p.line < task.sensorLines[0] || p.line > task.sensorLines[1])}
        />
      )}
    </div>
  )
}

function TaskFields(props: TaskFormProps & { task: dy.FormTask; locked: boolean; taskProblems: api.FileProblem[] }) {
  const { model, task, locked, edit } = props
  const i = task.index
  const rename = useRef<dy.Ref[] | null>(null)
  const others = [...new Set(model.tasks.filter((t) => t.index !== i && t.id !== '').map((t) => t.id))]
  const unknown = task.upstream.filter((u) => !others.includes(u))
  const sensorProblems = task.sensorLines
    ? props.problems.filter((p) => p.line >= task.sensorLines![0] && p.line <= task.sensorLines![1])
    : []
  const field = (key: string, value: string | number | null) => edit(dy.setTaskField(i, key, value))
  const rule = task.triggerRule ?? 'all_success'
  // A module task, or a built-in operator's: chosen here before an operator is picked, then read from the text.
  const [wantOperator, setWantOperator] = useState(false)
  const isOperator = task.operator !== null || wantOperator
  const op = props.operators?.find((o) => o.name === task.operator)
  // Problems at the lines of a field the operator form shows are shown there; the others here.
  const fieldNames = isOperator ? shownFields(task, op).map((f) => f.name) : []
  const atField = (p: api.FileProblem) =>
    fieldNames.some((k) => task.keyLines[k] && p.line >= task.keyLines[k][0] && p.line <= task.keyLines[k][1])
  const topProblems = props.taskProblems.filter((p) => !atField(p))
  const setKind = (kind: string) => {
    if (kind === 'operator') {
      setWantOperator(true)
      return
    }
    setWantOperator(false)
    if (task.operator !== null) edit(dy.setTaskRunner(i, { module: props.modules?.[0]?.ref ?? null }, operatorKeys(op)))
  }

  return (
    <form class="author-task stack" data-testid="author-task-form" data-task-id={task.id} onSubmit={(e) => e.preventDefault()}>
      {!task.editable && <p class="muted small">This item is not a mapping; edit it in the YAML.</p>}
      {topProblems.length > 0 && (
        <ul class="field-problems">
          {topProblems.map((p) => (
            <li data-testid="author-task-problem">
              line {p.line}: {p.message}
            </li>
          ))}
        </ul>
      )}
      <label>
        Task id
        <input
          class="mono"
          value={task.id}
          disabled={locked}
          data-testid="author-task-id"
          spellcheck={false}
          onFocus={() => (rename.current = dy.refsTo(model, task.id))}
          onBlur={() => (rename.current = null)}
          onInput={(e) => {
            const to = e.currentTarget.value
            rename.current ??= dy.refsTo(model, task.id)
            edit(dy.renameTask(i, task.id, to, rename.current))
          }}
        />
      </label>

      {!task.branch && typeof task.sensor !== 'string' && (
        <label>
          Runs
          <select value={isOperator ? 'operator' : 'module'} disabled={locked} data-testid="author-task-kind" onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="module">a module (.wasm)</option>
            <option value="operator">a built-in operator</option>
          </select>
        </label>
      )}
      {task.branch ? (
        <p class="muted small">A branch task: its expression (or module) is edited in the YAML.</p>
      ) : isOperator ? (
        <OperatorForm
          task={task}
          locked={locked}
          edit={edit}
          problems={props.problems}
          operators={props.operators}
          operatorsError={props.operatorsError}
          connections={props.connections}
          connectionsError={props.connectionsError}
        />
      ) : task.sensor === true || typeof task.sensor !== 'string' ? (
        <ModulePicker {...props} task={task} locked={locked} onPick={(ref) => field('module', ref || null)} />
      ) : null}

      <fieldset class="upstream" data-testid="author-task-upstream" disabled={locked}>
        <legend>Upstream</legend>
        {others.length === 0 && unknown.length === 0 && <span class="muted small">No other tasks.</span>}
        {[...others, ...unknown].map((id) => (
          <label class="check">
            <input
              type="checkbox"
              checked={task.upstream.includes(id)}
              data-testid="author-upstream"
              data-upstream-id={id}
              onChange={(e) => {
                const on = e.currentTarget.checked
                const next = on ? [...task.upstream, id] : task.upstream.filter((u) => u !== id)
                edit(dy.setUpstream(i, next))
              }}
            />
            <span class="mono">{id}</span>
            {unknown.includes(id) && <span class="inline-error">not a task</span>}
          </label>
        ))}
      </fieldset>

      <div class="row2">
        <label>
          Trigger rule
          <select value={rule} disabled={locked} data-testid="author-task-trigger-rule" onChange={(e) => field('trigger_rule', e.currentTarget.value)}>
            {!(dy.TRIGGER_RULES as readonly string[]).includes(rule) && <option value={rule}>{rule} (unknown)</option>}
            {dy.TRIGGER_RULES.map((r) => (
              <option value={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Retries
          <input
            type="number"
            min={0}
            step={1}
            value={task.retries}
            disabled={locked}
            placeholder="default"
            data-testid="author-task-retries"
            onInput={(e) => {
              const v = e.currentTarget.value.trim()
              if (v === '') field('retries', null)
              else if (/^\d+$/.test(v)) field('retries', Number(v))
            }}
          />
        </label>
      </div>

      {isOperator ? null : task.sensor === true ? (
        <p class="muted small">
          A module sensor (<code>sensor: true</code>): the module exits 0 when the condition is met, 100 when not yet.
        </p>
      ) : (
        !task.branch && (
          <label>
            Sensor condition
            <input
              class="mono"
              value={typeof task.sensor === 'string' ? task.sensor : ''}
              disabled={locked || (task.module !== null && typeof task.sensor !== 'string')}
              placeholder={task.module !== null ? 'a module task (clear the module to make it a sensor)' : 'expr, e.g. file_exists("/data/" + ds + ".csv")'}
              spellcheck={false}
              aria-invalid={sensorProblems.length > 0}
              aria-describedby={sensorProblems.length > 0 ? 'author-sensor-problems' : undefined}
              data-testid="author-task-sensor"
              onInput={(e) => field('sensor', e.currentTarget.value)}
            />
            {sensorProblems.length > 0 && (
              <ul class="field-problems" id="author-sensor-problems">
                {sensorProblems.map((p) => (
                  <li data-testid="author-sensor-problem">
                    line {p.line}: {p.message}
                  </li>
                ))}
              </ul>
            )}
          </label>
        )
      )}

      <footer class="author-task-actions">
        <button
          type="button"
          class="danger"
          data-testid="author-remove-task"
          disabled={locked || !model.listEditable}
          onClick={() => {
            if (edit(dy.removeTask(i))) props.onSelect(Math.max(0, Math.min(i, model.tasks.length - 2)))
          }}
        >
          Remove task
        </button>
      </footer>
    </form>
  )
}

const short = (sha: string) => sha.slice(0, 8)

/** The value of an example module's option in the picker: the example's name follows. */
const EXAMPLE = 'example:'

/** The module of a task: the .wasm files under the DAGs folder, and importing more. */
function ModulePicker(props: TaskFormProps & { task: dy.FormTask; locked: boolean; onPick: (ref: string) => void }) {
  const mods = props.modules ?? []
  const cur = props.task.module ?? ''
  const known = mods.some((m) => m.ref === cur)
  const file = useRef<HTMLInputElement>(null)
  const [native, setNative] = useState(false)
  const [busy, setBusy] = useState(false)
  const [note, setNote] = useState('')
  const [error, setError] = useState('')
  const [examples, setExamples] = useState<string[]>([])
  useEffect(() => {
    desktop.available().then(setNative)
    api.exampleModules().then(setExamples, () => setExamples([]))
  }, [])
  // Examples not in the DAGs folder yet: picking one copies it there.
  const offered = examples.filter((n) => !mods.some((m) => m.path === `modules/${n}`))

  // After an import: the list again (refs relative to this file), and the task uses the module.
  const imported = async (list: api.ModuleInfo[]) => {
    if (list.length === 0) return
    const fresh = await props.reloadModules()
    const last = list[list.length - 1]
    const m = fresh.find((x) => x.path === last.path)
    if (m) props.onPick(m.ref)
    setNote(`Imported ${list.map((x) => `${x.name} (${short(x.sha256)})`).join(', ')}`)
  }
  const run = async (f: () => Promise<api.ModuleInfo[]>) => {
    setBusy(true)
    setError('')
    setNote('')
    try {
      await imported(await f())
    } catch (e) {
      setError(api.errorText(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div class="module-picker">
      <label>
        Module
        <select
          value={cur}
          disabled={props.locked}
          data-testid="author-task-module"
          onChange={(e) => {
            const v = e.currentTarget.value
            if (v.startsWith(EXAMPLE)) run(async () => [await api.importExampleModule(v.slice(EXAMPLE.length))])
            else props.onPick(v)
          }}
        >
          <option value="">— none —</option>
          {cur && !known && <option value={cur}>{cur} (not under the DAGs folder)</option>}
          {mods.map((m) => (
            <option value={m.ref} title={m.path}>
              {m.name} · {short(m.sha256)}
              {m.ref !== m.name ? ` — ${m.ref}` : ''}
            </option>
          ))}
          {offered.length > 0 && (
            <optgroup label="Examples (copied into the DAGs folder when picked)" data-testid="author-example-modules">
              {offered.map((n) => (
                <option value={EXAMPLE + n}>{n}</option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      <div class="actions">
        <button
          type="button"
          disabled={props.locked || busy}
          data-testid="author-import-module"
          onClick={() => (native ? run(() => desktop.importModules()) : file.current?.click())}
        >
          Import .wasm…
        </button>
        <input
          ref={file}
          type="file"
          accept=".wasm"
          multiple
          hidden
          aria-label="wasm modules to import"
          data-testid="author-module-file"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])]
            e.currentTarget.value = ''
            if (files.length > 0) run(async () => Promise.all(files.map((f) => api.uploadModule(f.name, f))))
          }}
        />
        {busy && <span class="muted small">importing…</span>}
        {note && (
          <span class="muted small" data-testid="author-import-note">
            {note}
          </span>
        )}
        {(error || props.modulesError) && (
          <span class="inline-error" role="alert" data-testid="author-import-error">
            {error || props.modulesError}
          </span>
        )}
      </div>
    </div>
  )
}
