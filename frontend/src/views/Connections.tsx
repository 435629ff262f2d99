// Connections: how tasks reach external systems (Airflow's Admin > Connections). Everyone may
// look; Op and Admin add, edit, delete and test. The password is write-only: the API never
// sends it, so the form can only replace it, and secrets in extra come back as ***, which the
// server keeps as they were when sent back unchanged.

import { useState } from 'preact/hooks'
import * as api from '../api'
import { AdminList, FormDialog } from '../components/AdminList'
import { ActionButton, useLoad } from '../ui'

/** The types wasmflow knows how to test and call; others can still be stored. */
const knownTypes = ['http', 'https', 'sqlite', 'postgres']

export function Connections() {
  const conns = useLoad(() => api.connections().then((r) => r.connections ?? []), [], 'connections')
  const [tested, setTested] = useState<Record<string, api.ConnectionTest>>({})
  return (
    <AdminList
      title="Connections"
      noun="connection"
      plural="connections"
      list={conns}
      addLabel="+ Connection"
      search={{
        placeholder: 'Search ids, types, hosts',
        match: (c, f) => c.connection_id.toLowerCase().includes(f) || c.conn_type.toLowerCase().includes(f) || c.host.toLowerCase().includes(f),
      }}
      columns={['Conn id', 'Type', 'Host', 'Port', 'Schema', 'Login', 'Description']}
      rowId={(c) => ['data-id', c.connection_id]}
      cells={(c) => (
        <>
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
        </>
      )}
      actions={(c) => (
        <>
          <ActionButton
            label="Test"
            testid="connection-test"
            run={async () => {
              const r = await api.testConnection({ connection_id: c.connection_id })
              setTested((t) => ({ ...t, [c.connection_id]: r }))
            }}
          />{' '}
        </>
      )}
      remove={{
        confirm: (c) => `Delete connection ${c.connection_id}? DAGs that grant it will fail to load.`,
        run: (c) => api.deleteConnection(c.connection_id),
      }}
      empty={
        <>
          No connections. A task uses one when its DAG grants it: <code>connections: [my_api]</code>, or an operator's{' '}
          <code>http_conn_id</code> / <code>conn_id</code>.
        </>
      }
      form={(c, close, saved) => <ConnectionForm c={c} onClose={close} onSaved={saved} />}
    />
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
  const [result, setResult] = useState<api.ConnectionTest | null>(null)

  /** The body to send; throws (shown in the dialog) for a port that is not a number. */
  const body = (): api.ConnectionBody => {
    const p = port.trim()
    if (p !== '' && !/^\d+$/.test(p)) throw new Error(`Port "${p}" is not a number: give one from 1 to 65535, or leave it empty for the type's default.`)
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
  const submit = async () => {
    const b = body()
    if (c) await api.patchConnection(c.connection_id, b, password !== '' ? [...editable, 'password'] : editable)
    else await api.createConnection(b)
    onSaved()
  }
  const test = async () => {
    setResult(null)
    setResult(await api.testConnection(body()))
  }
  return (
    <FormDialog
      title={c ? `Edit ${c.connection_id}` : 'New connection'}
      noun="connection"
      onClose={onClose}
      submit={submit}
      extra={(run) => (
        <button type="button" onClick={() => run(test)} data-testid="connection-form-test">
          Test
        </button>
      )}
    >
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
    </FormDialog>
  )
}
