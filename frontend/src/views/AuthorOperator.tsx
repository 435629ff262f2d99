// The task form's part for a built-in operator task (`operator: http`, docs/operators.md): which
// operator, and its fields as GET /operators lists them, each with its doc as help, an input for
// its type and the problems the server's parse found at its lines. Like the rest of the form it
// keeps no values of its own: it reads them from the task and writes every change to the text.

import * as api from '../api'
import * as dy from '../components/dagYaml'

/** Text fields that hold code, a statement or a body: edited in a text area, written as a `|` block. */
const MULTILINE = new Set(['code', 'sql', 'data'])

/** The sensor keys an operator sensor takes (as a module sensor does; docs/dags.md). */
const SENSOR_KEYS: api.OperatorField[] = [
  { name: 'poke_interval', type: 'string', required: false, templated: false, default: '60s', doc: 'how long to wait between pokes, e.g. 10s, 5m' },
  { name: 'timeout', type: 'string', required: false, templated: false, doc: 'give up (fail, or skip with soft_fail) after this long, e.g. 1h' },
  {
    name: 'mode',
    type: 'enum',
    values: ['poke', 'reschedule'],
    required: false,
    templated: false,
    default: 'poke',
    doc: 'poke keeps the slot between pokes; reschedule frees it and comes back',
  },
]

/** allow_hosts, the common task key a literal url must be granted by. */
const ALLOW_HOSTS: api.OperatorField = {
  name: 'allow_hosts',
  type: 'list',
  required: false,
  templated: false,
  doc: 'the hosts url may reach: api.example.com (any port), 127.0.0.1:8080 (that port only), *.example.org',
}

export interface OperatorFormProps {
  task: dy.FormTask
  locked: boolean
  edit: (e: dy.Edit) => boolean
  problems: api.FileProblem[]
  operators: api.Operator[] | undefined
  operatorsError: string
  connections: api.Connection[] | undefined
  connectionsError: string
}

/** The keys an operator task may hold for this operator besides the common ones: its fields. */
export function operatorKeys(op: api.Operator | undefined): string[] {
  return op ? op.fields.map((f) => f.name) : []
}

/** What choosing `next` writes: the previous operator's own fields go, single-choice required ones are set. */
export function chooseOperator(i: number, prev: api.Operator | undefined, next: api.Operator): dy.Edit {
  const keep = new Set(operatorKeys(next))
  const drop = operatorKeys(prev).filter((k) => !keep.has(k))
  const defaults: Record<string, string> = {}
  for (const f of next.fields) if (f.required && f.type === 'enum' && f.values?.length === 1) defaults[f.name] = f.values[0]
  return dy.setTaskRunner(i, { operator: next.name }, drop, defaults)
}

/** The fields the form shows for the task's operator: its own, allow_hosts beside a url, a sensor's keys. */
export function shownFields(task: dy.FormTask, op: api.Operator | undefined): api.OperatorField[] {
  if (!op) return []
  // allow_hosts once the task has a url (or already grants hosts): a connection needs no host grant
  const hosts = op.fields.some((f) => f.type === 'url') && ((task.values.url ?? '') !== '' || 'allow_hosts' in task.values)
  return [...op.fields, ...(hosts ? [ALLOW_HOSTS] : []), ...(op.sensor ? SENSOR_KEYS : [])]
}

export function OperatorForm(props: OperatorFormProps) {
  const { task, locked, edit } = props
  const ops = props.operators ?? []
  const name = task.operator ?? ''
  const op = ops.find((o) => o.name === name)
  const fields = shownFields(task, op)

  return (
    <div class="operator-form stack">
      <label>
        Operator
        <select
          value={name}
          disabled={locked || !props.operators}
          data-testid="author-task-operator"
          onChange={(e) => {
            const next = ops.find((o) => o.name === e.currentTarget.value)
            if (next) edit(chooseOperator(task.index, op, next))
          }}
        >
          {name === '' && <option value="">— pick an operator —</option>}
          {name !== '' && !op && <option value={name}>{name} (not a built-in operator)</option>}
          {ops.map((o) => (
            <option value={o.name} title={o.doc}>
              {o.name} — {o.airflow}
              {o.built ? '' : ' (module not built)'}
            </option>
          ))}
        </select>
      </label>
      {props.operatorsError && (
        <span class="inline-error" role="alert" data-testid="author-operators-error">
          {props.operatorsError}
        </span>
      )}
      {op && (
        <p class="muted small" data-testid="author-operator-doc">
          {op.doc}
        </p>
      )}
      {op && !op.built && (
        <p class="inline-error small">This server was built without the operator modules: a try fails until it is built with make build.</p>
      )}
      {op?.one_of && op.one_of.length > 0 && (
        <p class="muted small">
          Give one of {op.one_of.map((f, k) => [k > 0 ? ' or ' : '', <code>{f}</code>])}.
        </p>
      )}
      {fields.map((f) => (
        <OperatorField {...props} field={f} oneOf={op?.one_of?.includes(f.name) ?? false} />
      ))}
    </div>
  )
}

function OperatorField(props: OperatorFormProps & { field: api.OperatorField; oneOf: boolean }) {
  const { task, field: f, edit } = props
  const value = task.values[f.name]
  const cur = value === undefined ? '' : value
  const lines = task.keyLines[f.name]
  const problems = lines ? props.problems.filter((p) => p.line >= lines[0] && p.line <= lines[1]) : []
  const locked = props.locked || cur === null
  const id = `op-field-${f.name}`
  const text = (v: string) => edit(dy.setTaskText(task.index, f.name, v))
  const control = () => {
    if (cur === null) return <p class="muted small">Not text or a list here: edit it in the YAML.</p>
    if (f.type === 'list') return <ListInput {...props} items={Array.isArray(cur) ? cur : cur === '' ? [] : [cur]} locked={locked} id={id} />
    const s = Array.isArray(cur) ? cur.join(', ') : cur
    if (f.type === 'conn_id') return <ConnectionPicker {...props} value={s} locked={locked} id={id} onPick={text} />
    if (f.type === 'enum' && f.values) {
      return (
        <select id={id} value={s} disabled={locked} data-testid="author-op-input" data-field={f.name} onChange={(e) => text(e.currentTarget.value)}>
          {!f.required && <option value="">— default{f.default ? ` (${f.default})` : ''} —</option>}
          {f.required && s === '' && <option value="">— pick one —</option>}
          {s !== '' && !f.values.includes(s) && <option value={s}>{s} (not a choice)</option>}
          {f.values.map((v) => (
            <option value={v}>{v}</option>
          ))}
        </select>
      )
    }
    if (MULTILINE.has(f.name)) {
      return (
        <textarea
          id={id}
          class="mono"
          rows={f.name === 'code' ? 8 : 4}
          value={s}
          disabled={locked}
          spellcheck={false}
          data-testid="author-op-input"
          data-field={f.name}
          onInput={(e) => text(e.currentTarget.value)}
        />
      )
    }
    return (
      <input
        id={id}
        class={f.type === 'string' ? '' : 'mono'}
        value={s}
        disabled={locked}
        spellcheck={false}
        placeholder={f.default ? `default: ${f.default}` : ''}
        data-testid="author-op-input"
        data-field={f.name}
        onInput={(e) => text(e.currentTarget.value)}
      />
    )
  }

  return (
    <div class="op-field" data-testid="author-op-field" data-field={f.name} data-type={f.type} data-required={String(f.required)}>
      <label for={f.type === 'list' ? undefined : id} class="op-field-name">
        <code>{f.name}</code>
        {f.required && (
          <abbr class="required" title="required">
            *
          </abbr>
        )}
        {props.oneOf && <small class="muted">(one of)</small>}
        {f.templated && <small class="muted">· templated</small>}
      </label>
      {control()}
      <small class="muted help" data-testid="author-op-help">
        {f.doc}
      </small>
      {f.name === 'allow_hosts' && <GrantHost {...props} />}
      {problems.length > 0 && (
        <ul class="field-problems">
          {problems.map((p) => (
            <li data-testid="author-op-field-problem">
              line {p.line}: {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

/** A list of texts: one input per element, add and remove. */
function ListInput(props: OperatorFormProps & { field: api.OperatorField; items: string[]; locked: boolean; id: string }) {
  const { items, field: f, task, edit } = props
  const write = (next: string[]) => edit(dy.setTaskList(task.index, f.name, next))
  return (
    <div class="op-list" id={props.id} role="group" aria-label={f.name} data-testid="author-op-input" data-field={f.name}>
      {items.map((v, k) => (
        <div class="op-list-row">
          <input
            class="mono"
            value={v}
            disabled={props.locked}
            spellcheck={false}
            aria-label={`${f.name} ${k + 1}`}
            data-testid="author-op-list-item"
            data-index={k}
            onInput={(e) => write(items.map((x, j) => (j === k ? e.currentTarget.value : x)))}
          />
          <button type="button" disabled={props.locked} title="remove" data-testid="author-op-list-remove" onClick={() => write(items.filter((_, j) => j !== k))}>
            ×
          </button>
        </div>
      ))}
      <button type="button" disabled={props.locked} data-testid="author-op-list-add" onClick={() => write([...items, ''])}>
        + {items.length === 0 ? 'Add' : 'Another'}
      </button>
    </div>
  )
}

/** A connection field: the connections defined (GET /connections), or a text input if they cannot be read. */
function ConnectionPicker(props: OperatorFormProps & { field: api.OperatorField; value: string; locked: boolean; id: string; onPick: (v: string) => void }) {
  const { value, field: f } = props
  if (!props.connections) {
    return (
      <>
        <input id={props.id} class="mono" value={value} disabled={props.locked} data-testid="author-op-input" data-field={f.name} onInput={(e) => props.onPick(e.currentTarget.value)} />
        {props.connectionsError && <small class="inline-error">{props.connectionsError}</small>}
      </>
    )
  }
  const conns = props.connections
  return (
    <>
      <select id={props.id} value={value} disabled={props.locked} data-testid="author-op-input" data-field={f.name} onChange={(e) => props.onPick(e.currentTarget.value)}>
        <option value="">— none —</option>
        {value !== '' && !conns.some((c) => c.connection_id === value) && <option value={value}>{value} (no such connection)</option>}
        {conns.map((c) => (
          <option value={c.connection_id}>
            {c.connection_id} ({c.conn_type}
            {c.host ? ` ${c.host}${c.port ? `:${c.port}` : ''}` : ''})
          </option>
        ))}
      </select>
      {conns.length === 0 && (
        <small class="muted">
          No connections yet: add one under <a href="#/connections">Connections</a>.
        </small>
      )}
    </>
  )
}

/**
 * The host a literal url names that allow_hosts does not grant yet (the parser refuses the file
 * then), with a button that adds it: host:port when the url has a port, else the host.
 */
function GrantHost(props: OperatorFormProps) {
  const { task, edit } = props
  const url = task.values.url
  const hosts = Array.isArray(task.values.allow_hosts) ? task.values.allow_hosts : []
  if (typeof url !== 'string' || url === '' || !Array.isArray(task.values.allow_hosts ?? [])) return null
  let u: URL
  try {
    if (/^[a-z]+:\/\/[^/]*\{\{/i.test(url)) return null // a templated host is checked when the try runs
    u = new URL(url)
  } catch {
    return null
  }
  if (hosts.includes(u.hostname) || hosts.includes(u.host)) return null
  return (
    <button type="button" class="link small" disabled={props.locked} data-testid="author-grant-host" onClick={() => edit(dy.setTaskList(task.index, 'allow_hosts', [...hosts, u.host]))}>
      Grant {u.host}: add it to allow_hosts
    </button>
  )
}
