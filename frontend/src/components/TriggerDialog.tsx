// The trigger form: one input per DAG param, built from its JSON Schema (GET /dags/{id}/details),
// or the whole conf as raw JSON. The server checks the conf against the schemas; its refusal is
// shown at each field it names. The inputs carry min, max and pattern for their look and
// spinners, but the form does not block on them: the server's reasons are the ones to show.

import { useEffect, useMemo, useState } from 'preact/hooks'
import { ApiError, dagDetails, errorText, triggerRun, type DagRun } from '../api'
import { Modal, Spinner } from '../ui'
import { fieldKind, initialConf, issuesByParam, jsonValue, numberValue, type ParamSpec } from './paramForm'

type Conf = Record<string, unknown>

export function parseConf(text: string): { conf?: Conf; error?: string } {
  if (text.trim() === '') return { conf: {} }
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (e) {
    return { error: `conf is not valid JSON: ${(e as Error).message}` }
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'conf must be a JSON object, like {"key": "value"}' }
  return { conf: v as Conf }
}

/** The trigger dialog: it reads the DAG's params with their schemas first. */
export function TriggerDialog(props: { dagId: string; onClose: () => void; onTriggered: (run: DagRun) => void }) {
  const [params, setParams] = useState<Record<string, ParamSpec>>()
  const [error, setError] = useState('')
  useEffect(() => {
    dagDetails(props.dagId)
      .then((d) => setParams(d.params ?? {}))
      .catch((e) => setError(errorText(e)))
  }, [])
  if (params === undefined) {
    return (
      <Modal title={`Trigger ${props.dagId}`} onClose={props.onClose} testid="trigger-dialog">
        {error ? (
          <div class="error" role="alert" data-testid="trigger-error">
            {error}
          </div>
        ) : (
          <Spinner />
        )}
      </Modal>
    )
  }
  return <TriggerForm {...props} params={params} />
}

function TriggerForm(props: { dagId: string; params: Record<string, ParamSpec>; onClose: () => void; onTriggered: (run: DagRun) => void }) {
  const params = props.params
  const [conf, setConf] = useState<Conf>(() => initialConf(params))
  const [raw, setRaw] = useState(false)
  const [text, setText] = useState('')
  // Fields whose text is not yet a value (a JSON field mid-edit): the form waits for them.
  const [unparsed, setUnparsed] = useState<Record<string, string>>({})
  const [runId, setRunId] = useState('')
  const [date, setDate] = useState('')
  const [error, setError] = useState('')
  const [issues, setIssues] = useState<Record<string, string[]>>({})
  const [busy, setBusy] = useState(false)
  const parsed = useMemo(() => (raw ? parseConf(text) : { conf }), [raw, text, conf])

  const setParam = (k: string, v: unknown) => {
    const next = { ...conf }
    if (v === undefined) delete next[k]
    else next[k] = v
    setConf(next)
  }

  function toggleRaw() {
    if (!raw) {
      setText(JSON.stringify(conf, null, 2))
      setRaw(true)
      return
    }
    if (!parsed.conf) return // the JSON's error is shown; it stays raw until it parses
    setConf(parsed.conf)
    setUnparsed({})
    setRaw(false)
  }

  async function submit(e: Event) {
    e.preventDefault()
    const body = parsed.conf
    if (!body || (!raw && Object.keys(unparsed).length > 0)) return
    let logical_date: string | undefined
    if (date) {
      const d = new Date(date)
      if (isNaN(d.getTime())) {
        setError('the logical date is not a valid date')
        return
      }
      logical_date = d.toISOString()
    }
    setBusy(true)
    setError('')
    setIssues({})
    try {
      const run = await triggerRun(props.dagId, { conf: body, dag_run_id: runId.trim() || undefined, logical_date })
      props.onTriggered(run)
    } catch (err) {
      setError(errorText(err))
      if (err instanceof ApiError) setIssues(issuesByParam(err.body))
    } finally {
      setBusy(false)
    }
  }

  const keys = Object.keys(params)
  const blocked = !parsed.conf || (!raw && Object.keys(unparsed).length > 0)
  return (
    <Modal title={`Trigger ${props.dagId}`} onClose={props.onClose} testid="trigger-dialog">
      <form class="stack" onSubmit={submit} noValidate data-testid="trigger-form">
        {keys.length > 0 && (
          <label class="check">
            <input type="checkbox" checked={raw} onChange={toggleRaw} data-testid="trigger-raw-toggle" />
            Raw JSON <small>(edit the whole conf as JSON)</small>
          </label>
        )}
        {!raw && keys.length > 0 && (
          <fieldset>
            <legend>Params</legend>
            {keys.map((k) => (
              <ParamField
                key={k}
                name={k}
                spec={params[k]}
                value={conf[k]}
                issues={issues[k]}
                onChange={(v) => setParam(k, v)}
                onUnparsed={(t) => {
                  const next = { ...unparsed }
                  if (t === undefined) delete next[k]
                  else next[k] = t
                  setUnparsed(next)
                }}
              />
            ))}
          </fieldset>
        )}
        {(raw || keys.length === 0) && (
          <label>
            Configuration JSON <small>(the run's conf; it overrides the params)</small>
            <textarea
              class="mono"
              rows={Math.min(16, Math.max(4, text.split('\n').length + 1))}
              value={text}
              spellcheck={false}
              onInput={(e) => {
                setText(e.currentTarget.value)
                if (keys.length === 0) setRaw(true)
              }}
              data-testid="trigger-conf"
              aria-invalid={!!parsed.error}
            />
          </label>
        )}
        {parsed.error && (
          <div class="inline-error" data-testid="trigger-conf-error">
            {parsed.error}
          </div>
        )}
        <div class="row2">
          <label>
            Logical date <small>(optional; default now)</small>
            <input type="datetime-local" step="1" value={date} onInput={(e) => setDate(e.currentTarget.value)} data-testid="trigger-logical-date" />
          </label>
          <label>
            Run id <small>(optional)</small>
            <input value={runId} placeholder="manual__…" onInput={(e) => setRunId(e.currentTarget.value)} data-testid="trigger-run-id" />
          </label>
        </div>
        {error && (
          <div class="error" role="alert" data-testid="trigger-error">
            {error}
          </div>
        )}
        <footer>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || blocked} data-testid="trigger-submit">
            {busy ? 'Triggering…' : 'Trigger'}
          </button>
        </footer>
      </form>
    </Modal>
  )
}

/** One param's input, its label (the schema's title, else the name) and its description. */
function ParamField(props: {
  name: string
  spec: ParamSpec
  value: unknown
  issues?: string[]
  onChange: (v: unknown) => void
  onUnparsed: (text: string | undefined) => void
}) {
  const { name, spec, value } = props
  const schema = spec.schema ?? {}
  const kind = fieldKind(spec)
  const id = `param-${name}`
  const title = typeof schema.title === 'string' ? schema.title : name
  const required = spec.value === null || spec.value === undefined
  const common = { id, 'data-testid': 'trigger-param', 'data-param': name, 'aria-invalid': !!props.issues?.length }
  const [jsonText, setJsonText] = useState(() => (value === undefined ? '' : JSON.stringify(value, null, 2)))
  const [jsonError, setJsonError] = useState('')
  const num = (k: string) => (typeof schema[k] === 'number' ? String(schema[k]) : undefined)

  let input
  switch (kind) {
    case 'boolean':
      input = <input type="checkbox" {...common} checked={!!value} onChange={(e) => props.onChange(e.currentTarget.checked)} />
      break
    case 'enum': {
      const options = schema.enum as unknown[]
      const at = options.findIndex((o) => JSON.stringify(o) === JSON.stringify(value))
      input = (
        <select {...common} value={at < 0 ? '' : String(at)} onChange={(e) => props.onChange(e.currentTarget.value === '' ? undefined : options[Number(e.currentTarget.value)])}>
          {at < 0 && <option value="">(choose one)</option>}
          {options.map((o, i) => (
            <option key={i} value={String(i)}>
              {typeof o === 'string' ? o : JSON.stringify(o)}
            </option>
          ))}
        </select>
      )
      break
    }
    case 'integer':
    case 'number':
      input = (
        <input
          type="number"
          {...common}
          step={kind === 'integer' ? '1' : 'any'}
          min={num('minimum')}
          max={num('maximum')}
          value={value === undefined || value === null ? '' : String(value)}
          onInput={(e) => props.onChange(numberValue(e.currentTarget.value))}
        />
      )
      break
    case 'string':
      input = (
        <input
          {...common}
          value={typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value)}
          pattern={typeof schema.pattern === 'string' ? schema.pattern : undefined}
          minLength={typeof schema.minLength === 'number' ? schema.minLength : undefined}
          maxLength={typeof schema.maxLength === 'number' ? schema.maxLength : undefined}
          placeholder={typeof schema.format === 'string' ? schema.format : typeof schema.pattern === 'string' ? schema.pattern : undefined}
          onInput={(e) => props.onChange(e.currentTarget.value)}
        />
      )
      break
    default:
      input = (
        <textarea
          class="mono"
          {...common}
          rows={Math.min(10, Math.max(2, jsonText.split('\n').length))}
          spellcheck={false}
          value={jsonText}
          onInput={(e) => {
            const t = e.currentTarget.value
            setJsonText(t)
            const r = jsonValue(t)
            setJsonError(r.error ?? '')
            if (r.error) props.onUnparsed(t)
            else {
              props.onUnparsed(undefined)
              props.onChange(r.value)
            }
          }}
        />
      )
  }
  const errors = [...(jsonError ? [jsonError] : []), ...(props.issues ?? [])]
  return (
    <div class="param-field" data-testid="param-field" data-param={name}>
      <label class={kind === 'boolean' ? 'check' : undefined} for={id}>
        {kind === 'boolean' && input}
        <span>
          {title}
          {required && <small> (required)</small>}
          {title !== name && <small class="mono"> {name}</small>}
        </span>
        {kind !== 'boolean' && input}
      </label>
      {spec.description && (
        <small class="param-description" data-testid="param-description">
          {spec.description}
        </small>
      )}
      {errors.map((m, i) => (
        <div key={i} class="inline-error" data-testid="param-error" data-param={name}>
          {m}
        </div>
      ))}
    </div>
  )
}
