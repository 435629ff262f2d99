// Connections: how tasks reach external systems (Airflow's Admin > Connections). Everyone may
// look; Op and Admin add, edit, delete and test. The password is write-only: the API never
// sends it, so the form can only replace it, and secrets in extra come back as ***, which the
// server keeps as they were when sent back unchanged.

import { useState } from 'preact/hooks'
import * as api from '../api'
import { ActionButton, ErrorBox, Modal, useCan, useLoad } from '../ui'

/** The types wasmflow knows how to test and call; others can still be stored. */
const knownTypes = ['http', 'https', 'sqlite', 'postgres']

export function Connections() {
  const conns = useLoad(() => api.connections().then((r) => r.connections ?? []), [], 'connections')
  const canEdit = useCan('Op')
  const [edit, setEdit] = useState<api.Connection | 'new' | null>(null)
  const [filter, setFilter] = useState('')
  const [tested, setTested] = useState<Record<string, api.ConnectionTest>>({})
  const f = filter.toLowerCase()
  const list = (conns.data ?? []).filter(
    (c) => !f || c.connection_id.toLowerCase().includes(f) || c.conn_type.toLowerCase().includes(f) || c.host.toLowerCase().includes(f),
  )
  return (
    <div class="page">
      <header class="page-head">
        <h1>Connections</h1>
        <div class="filters">
          <input type="search" placeholder="Search ids, types, hosts" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} data-testid="connection-search" />
          {canEdit && (
            <button class="primary" onClick={() => setEdit('new')} data-testid="connection-add">
              + Connection
            </button>
          )}
        </div>
      </header>
      <ErrorBox error={conns.error} />
      <table class="list" data-testid="connections-table">
        <thead>
          <tr>
            <th>Conn id</th>
            <th>Type</th>
            <th>Host</th>
            <th>Port</th>
            <th>Schema</th>
            <th>Login</th>
            <th>Description</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((c) => (
            <tr key={c.connection_id} data-testid="connection-row" data-id={c.connection_id}>
              <td>
                <code>{c.connection_id}</code>
              </td>
              <td>{c.conn_type}</td>
              <td class="value-cell">{c.host}</td>
              <td>{c.port ?? ''}</td>
              <td>{c.schema}</td>
              <td>{c.login}</td>
              <td class="muted">
                {c.description}
                {tested[c.connection_id] && <TestResult r={tested[c.connection_id]} />}
              </td>
              <td class="nowrap">
                {canEdit && (
                  <>
                    <ActionButton
                      label="Test"
                      testid="connection-test"
                      run={async () => {
                        const r = await api.testConnection({ connection_id: c.connection_id })
                        setTested((t) => ({ ...t, [c.connection_id]: r }))
                      }}
                    />{' '}
                    <button onClick={() => setEdit(c)} data-testid="connection-edit">
                      Edit
                    </button>{' '}
                    <ActionButton
                      label="Delete"
                      class="danger"
                      testid="connection-delete"
                      confirm={`Delete connection ${c.connection_id}? DAGs that grant it will fail to load.`}
                      run={async () => {
                        await api.deleteConnection(c.connection_id)
                        await conns.reload()
                      }}
                    />
                  </>
                )}
              </td>
            </tr>
          ))}
          {conns.data && list.length === 0 && (
            <tr>
              <td colSpan={8} class="empty">
                No connections. A task uses one when its DAG grants it: <code>connections: [my_api]</code>.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {edit && (
        <ConnectionForm
          c={edit === 'new' ? null : edit}
          onClose={() => setEdit(null)}
          onSaved={() => {
            setEdit(null)
            conns.reload()
          }}
        />
      )}
    </div>
  )
}

function TestResult({ r }: { r: api.ConnectionTest }) {
  return (
    <div class={r.status ? 'test-ok' : 'error'} role="status" data-testid="connection-test-result" data-status={String(r.status)}>
      {r.status ? '✓ ' : '✗ '}
      {r.message}
    </div>
  )
}

/** The fields a PATCH names (update_mask); the password only when a new one was typed. */
const editable = ['conn_type', 'description', 'host', 'login', 'schema', 'port', 'extra']

function ConnectionForm({ c, onClose, onSaved }: { c: api.Connection | null; onClose: () => void; onSaved: () => void }) {
  const [id, setId] = useState(c?.connection_id ?? '')
  const [type, setType] = useState(c?.conn_type ?? 'http')
  const [host, setHost] = useState(c?.host ?? '')
  const [port, setPort] = useState(c?.port != null ? String(c.port) : '')
  const [schema, setSchema] = useState(c?.schema ?? '')
  const [login, setLogin] = useState(c?.login ?? '')
  const [password, setPassword] = useState('') // write-only: never filled from the server
  const [extra, setExtra] = useState(c?.extra ?? '')
  const [description, setDescription] = useState(c?.description ?? '')
  const [error, setError] = useState('')
  const [result, setResult] = useState<api.ConnectionTest | null>(null)

  const body = (): api.ConnectionBody | null => {
    const p = port.trim()
    if (p !== '' && !/^\d+$/.test(p)) {
      setError(`Port "${p}" is not a number: give one from 1 to 65535, or leave it empty for the type's default.`)
      return null
    }
    const b: api.ConnectionBody = {
      connection_id: id.trim(),
      conn_type: type.trim(),
      host: host.trim(),
      port: p === '' ? null : Number(p),
      schema: schema.trim(),
      login,
      extra: extra.trim(),
      description,
    }
    if (password !== '') b.password = password
    return b
  }
  const submit = async (e: Event) => {
    e.preventDefault()
    setError('')
    const b = body()
    if (!b) return
    try {
      if (c) await api.patchConnection(c.connection_id, b, password !== '' ? [...editable, 'password'] : editable)
      else await api.createConnection(b)
      onSaved()
    } catch (err) {
      setError(api.errorText(err))
    }
  }
  const test = async () => {
    setError('')
    setResult(null)
    const b = body()
    if (!b) return
    try {
      setResult(await api.testConnection(b))
    } catch (err) {
      setError(api.errorText(err))
    }
  }
  return (
    <Modal title={c ? `Edit ${c.connection_id}` : 'New connection'} onClose={onClose} testid="connection-dialog">
      <form class="stack" onSubmit={submit} data-testid="connection-form">
        <label>
          Connection id
          <input value={id} required disabled={!!c} onInput={(e) => setId(e.currentTarget.value)} data-testid="connection-id" />
        </label>
        <label>
          Connection type
          <input value={type} required list="conn-types" onInput={(e) => setType(e.currentTarget.value)} data-testid="connection-type" />
          <datalist id="conn-types">
            {knownTypes.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          Host {type === 'sqlite' && <small class="muted">(the database file)</small>}
          <input value={host} onInput={(e) => setHost(e.currentTarget.value)} data-testid="connection-host" />
        </label>
        <label>
          Port
          <input value={port} inputMode="numeric" placeholder="the type's default" onInput={(e) => setPort(e.currentTarget.value)} data-testid="connection-port" />
        </label>
        <label>
          Schema {type === 'http' && <small class="muted">(http or https)</small>}
          <input value={schema} onInput={(e) => setSchema(e.currentTarget.value)} data-testid="connection-schema" />
        </label>
        <label>
          Login
          <input value={login} autocomplete="off" onInput={(e) => setLogin(e.currentTarget.value)} data-testid="connection-login" />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            autocomplete="new-password"
            placeholder={c?.has_password ? 'unchanged (type to replace)' : ''}
            onInput={(e) => setPassword(e.currentTarget.value)}
            data-testid="connection-password"
          />
        </label>
        <label>
          Extra <small class="muted">(a JSON object; secrets show as *** and stay as they are unless replaced)</small>
          <textarea class="mono" rows={4} value={extra} placeholder='{"token": "..."}' onInput={(e) => setExtra(e.currentTarget.value)} data-testid="connection-extra" />
        </label>
        <label>
          Description
          <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} data-testid="connection-description" />
        </label>
        {result && <TestResult r={result} />}
        {error && (
          <div class="error" role="alert" data-testid="connection-error">
            {error}
          </div>
        )}
        <footer>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" onClick={test} data-testid="connection-form-test">
            Test
          </button>
          <button type="submit" class="primary" data-testid="connection-save">
            Save
          </button>
        </footer>
      </form>
    </Modal>
  )
}
