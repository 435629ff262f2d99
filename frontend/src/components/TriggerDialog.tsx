// The trigger form: one field per DAG param, and the whole conf as JSON, kept in step.
// The JSON is checked before anything is sent; the server's 400 detail is shown as it is.

import { useEffect, useMemo, useState } from 'preact/hooks'
import { dag, errorText, triggerRun, type DagRun } from '../api'
import { Modal, Spinner } from '../ui'

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

/** The trigger dialog; without `params` it reads them from GET /dags/{id} first. */
export function TriggerDialog(props: {
  dagId: string
  params?: Record<string, unknown> | null
  onClose: () => void
  onTriggered: (run: DagRun) => void
}) {
  const [params, setParams] = useState(props.params)
  const [error, setError] = useState('')
  useEffect(() => {
    if (params !== undefined) return
    dag(props.dagId)
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
  return <TriggerForm {...props} params={params ?? {}} />
}

function TriggerForm(props: {
  dagId: string
  params: Record<string, unknown>
  onClose: () => void
  onTriggered: (run: DagRun) => void
}) {
  const params = props.params
  const [text, setText] = useState(() => JSON.stringify(params, null, 2))
  const [runId, setRunId] = useState('')
  const [date, setDate] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const parsed = useMemo(() => parseConf(text), [text])
  const conf = parsed.conf

  const setParam = (k: string, v: unknown) => {
    const next = { ...(conf ?? {}), [k]: v }
    setText(JSON.stringify(next, null, 2))
  }

  async function submit(e: Event) {
    e.preventDefault()
    if (!conf) return
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
    try {
      const run = await triggerRun(props.dagId, { conf, dag_run_id: runId.trim() || undefined, logical_date })
      props.onTriggered(run)
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const keys = Object.keys(params)
  return (
    <Modal title={`Trigger ${props.dagId}`} onClose={props.onClose} testid="trigger-dialog">
      <form class="stack" onSubmit={submit} data-testid="trigger-form">
        {keys.length > 0 && (
          <fieldset>
            <legend>Params</legend>
            {keys.map((k) => (
              <ParamField key={k} name={k} def={params[k]} value={conf ? conf[k] : params[k]} disabled={!conf} onChange={(v) => setParam(k, v)} />
            ))}
          </fieldset>
        )}
        <label>
          Configuration JSON <small>(the run's conf; it overrides the params)</small>
          <textarea
            class="mono"
            rows={Math.min(16, Math.max(4, text.split('\n').length + 1))}
            value={text}
            spellcheck={false}
            onInput={(e) => setText(e.currentTarget.value)}
            data-testid="trigger-conf"
            aria-invalid={!!parsed.error}
          />
        </label>
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
          <button type="submit" class="primary" disabled={busy || !conf} data-testid="trigger-submit">
            {busy ? 'Triggering…' : 'Trigger'}
          </button>
        </footer>
      </form>
    </Modal>
  )
}

function ParamField(props: { name: string; def: unknown; value: unknown; disabled: boolean; onChange: (v: unknown) => void }) {
  const { name, def, value } = props
  const id = `param-${name}`
  if (typeof def === 'boolean') {
    return (
      <label class="check">
        <input type="checkbox" id={id} checked={!!value} disabled={props.disabled} onChange={(e) => props.onChange(e.currentTarget.checked)} data-testid="trigger-param" data-param={name} />
        {name}
      </label>
    )
  }
  if (typeof def === 'number') {
    return (
      <label>
        {name}
        <input
          type="number"
          step="any"
          id={id}
          value={typeof value === 'number' ? String(value) : String(value ?? '')}
          disabled={props.disabled}
          onInput={(e) => {
            const t = e.currentTarget.value
            props.onChange(t === '' || isNaN(Number(t)) ? t : Number(t))
          }}
          data-testid="trigger-param"
          data-param={name}
        />
      </label>
    )
  }
  if (typeof def === 'string' || def === undefined) {
    return (
      <label>
        {name}
        <input id={id} value={String(value ?? '')} disabled={props.disabled} onInput={(e) => props.onChange(e.currentTarget.value)} data-testid="trigger-param" data-param={name} />
      </label>
    )
  }
  return (
    <label>
      {name} <small>(edit it in the JSON below)</small>
      <input id={id} class="mono" value={JSON.stringify(value)} disabled data-testid="trigger-param" data-param={name} />
    </label>
  )
}
