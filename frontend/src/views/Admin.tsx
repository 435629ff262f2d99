// Variables, pools, users, the audit log and the cluster's members.

import { useEffect, useState } from 'preact/hooks'
import * as api from '../api'
import { coalesce, on } from '../events'
import { dateTime, relative } from '../format'
import { href } from '../router'
import { AdminList, FormDialog } from '../components/AdminList'
import { ErrorBox, useCan, useLoad } from '../ui'

// ---- variables

export function Variables() {
  const vars = useLoad(() => api.variables().then((r) => r.variables ?? []), [], 'variables')
  return (
    <AdminList
      title="Variables"
      noun="variable"
      plural="variables"
      list={vars}
      addLabel="+ Variable"
      search={{ placeholder: 'Search keys', match: (v, f) => v.key.toLowerCase().includes(f) }}
      columns={['Key', 'Value', 'Description']}
      rowId={(v) => ['data-key', v.key]}
      cells={(v) => (
        <>
          <td>
            <code>{v.key}</code>
          </td>
          <td class="value-cell">
            <VariableValue v={v} />
          </td>
          <td class="muted">{v.description}</td>
        </>
      )}
      remove={{ confirm: (v) => `Delete variable ${v.key}?`, run: (v) => api.deleteVariable(v.key) }}
      empty={
        <>
          No variables. Tasks read them with <code>{'{{ var("name") }}'}</code>.
        </>
      }
      form={(v, close, saved) => <VariableForm v={v} onClose={close} onSaved={saved} />}
    />
  )
}

/** A variable's value in the list; a secret one's is masked, with a reveal that reads it. */
function VariableValue({ v }: { v: api.Variable }) {
  const canReveal = useCan('Op')
  const [shown, setShown] = useState<string | null>(null)
  const [error, setError] = useState('')
  const masked = v.value === '***' && api.isSensitiveKey(v.key)
  useEffect(() => setShown(null), [v.value])
  if (!masked) return <code>{v.value}</code>
  return (
    <span class="masked-value" data-testid="variable-masked" data-revealed={String(shown !== null)}>
      <code data-testid="variable-value-shown">{shown ?? '***'}</code>{' '}
      {canReveal && (
        <button
          class="link small"
          data-testid="variable-reveal"
          title={shown === null ? 'its key names a secret: show its value' : 'mask it again'}
          onClick={async () => {
            if (shown !== null) return setShown(null)
            setError('')
            try {
              setShown((await api.variable(v.key)).value)
            } catch (e) {
              setError(api.errorText(e))
            }
          }}
        >
          {shown === null ? 'reveal' : 'hide'}
        </button>
      )}
      {error && <span class="inline-error">{error}</span>}
    </span>
  )
}

function VariableForm({ v, onClose, onSaved }: { v: api.Variable | null; onClose: () => void; onSaved: () => void }) {
  const [key, setKey] = useState(v?.key ?? '')
  const [value, setValue] = useState(v?.value ?? '')
  const [description, setDescription] = useState(v?.description ?? '')
  const submit = async () => {
    const body = { key: key.trim(), value, description }
    if (v) await api.patchVariable(v.key, body)
    else await api.createVariable(body)
    onSaved()
  }
  return (
    <FormDialog title={v ? `Edit ${v.key}` : 'New variable'} noun="variable" onClose={onClose} submit={submit}>
      <label>
        Key
        <input value={key} required disabled={!!v} onInput={(e) => setKey(e.currentTarget.value)} data-testid="variable-key" />
      </label>
      <label>
        Value
        <textarea class="mono" rows={5} value={value} onInput={(e) => setValue(e.currentTarget.value)} data-testid="variable-value" />
      </label>
      <label>
        Description
        <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} data-testid="variable-description" />
      </label>
    </FormDialog>
  )
}

// ---- pools

export function Pools() {
  const pools = useLoad(() => api.pools().then((r) => r.pools ?? []), [], 'pools')
  // Slots move with task instances; reload on their events, coalesced.
  useEffect(() => {
    const reload = coalesce(pools.reload, 1500)
    const offs = [on('task_instance', reload), on('resync', reload)]
    return () => offs.forEach((f) => f())
  }, [])
  return (
    <AdminList
      title="Pools"
      noun="pool"
      plural="pools"
      list={pools}
      addLabel="+ Pool"
      columns={['Pool', 'Slots', 'Running', 'Queued', 'Open', 'Use', 'Description']}
      rowId={(p) => ['data-pool', p.name]}
      cells={(p) => (
        <>
          <td>
            <code>{p.name}</code>
          </td>
          <td>{p.slots < 0 ? '∞' : p.slots}</td>
          <td>{p.running_slots}</td>
          <td>{p.queued_slots}</td>
          <td>{p.open_slots < 0 ? '∞' : p.open_slots}</td>
          <td>
            <Meter used={p.occupied_slots} total={p.slots} />
          </td>
          <td class="muted">{p.description}</td>
        </>
      )}
      remove={{ confirm: (p) => `Delete pool ${p.name}?`, run: (p) => api.deletePool(p.name), when: (p) => p.name !== 'default_pool' }}
      form={(p, close, saved) => <PoolForm p={p} onClose={close} onSaved={saved} />}
    />
  )
}

/** Slots in use; total -1 is unlimited. */
function Meter({ used, total }: { used: number; total: number }) {
  if (total < 0) return <span class="muted small">unlimited</span>
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0
  return (
    <span class="meter" title={`${used} of ${total} slots used`}>
      <span style={`width:${pct}%`} class={pct >= 100 ? 'full' : ''} />
    </span>
  )
}

function PoolForm({ p, onClose, onSaved }: { p: api.Pool | null; onClose: () => void; onSaved: () => void }) {
  const [name, setName] = useState(p?.name ?? '')
  const [slots, setSlots] = useState(String(p?.slots ?? 1))
  const [description, setDescription] = useState(p?.description ?? '')
  const submit = async () => {
    const n = Number(slots)
    if (!Number.isInteger(n) || n < 0) throw new Error('slots must be a whole number, 0 or more')
    const body = { name: name.trim(), slots: n, description }
    if (p) await api.patchPool(p.name, body)
    else await api.createPool(body)
    onSaved()
  }
  return (
    <FormDialog title={p ? `Edit ${p.name}` : 'New pool'} noun="pool" onClose={onClose} submit={submit}>
      <label>
        Name
        <input value={name} required disabled={!!p} onInput={(e) => setName(e.currentTarget.value)} data-testid="pool-name" />
      </label>
      <label>
        Slots
        <input type="number" min="0" step="1" value={slots} onInput={(e) => setSlots(e.currentTarget.value)} data-testid="pool-slots" />
      </label>
      <label>
        Description
        <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} data-testid="pool-description" />
      </label>
    </FormDialog>
  )
}

// ---- users

const ROLES: api.Role[] = ['Viewer', 'User', 'Op', 'Admin']

export function Users() {
  const users = useLoad(() => api.users().then((r) => r.users ?? []), [], 'users')
  // Editing needs PATCH /users/{username}, which older servers lack: then rows have no Edit.
  const canPatch = useLoad(() => api.serves('PATCH', '/api/v1/users/{username}'), [])
  return (
    <AdminList
      title="Users"
      noun="user"
      plural="users"
      list={users}
      addLabel="+ User"
      editRole="Admin"
      editable={canPatch.data === true}
      columns={['User', 'Role', 'Name', 'Email']}
      rowId={(u) => ['data-username', u.username]}
      cells={(u) => (
        <>
          <td>
            <code>{u.username}</code>
          </td>
          <td data-testid="user-role-cell">{u.role ?? (u.roles ?? []).map((r) => r.name).join(', ')}</td>
          <td>{[u.first_name, u.last_name].filter(Boolean).join(' ')}</td>
          <td class="muted">{u.email}</td>
        </>
      )}
      remove={{ confirm: (u) => `Delete user ${u.username}?`, run: (u) => api.deleteUser(u.username) }}
      form={(u, close, saved) => (u ? <UserEditForm u={u} onClose={close} onSaved={saved} /> : <UserForm onClose={close} onSaved={saved} />)}
    />
  )
}

/** A user's role change and password reset (an Admin's own role is refused by the server). */
function UserEditForm({ u, onClose, onSaved }: { u: api.User; onClose: () => void; onSaved: () => void }) {
  const current = (u.role ?? u.roles?.[0]?.name ?? 'Viewer') as api.Role
  const [role, setRole] = useState<api.Role>(current)
  const [password, setPassword] = useState('')
  const submit = async () => {
    const body: { role?: api.Role; password?: string } = {}
    if (role !== current) body.role = role
    if (password) body.password = password
    if (body.role || body.password) await api.patchUser(u.username, body)
    onSaved()
  }
  return (
    <FormDialog title={`Edit ${u.username}`} noun="user" onClose={onClose} submit={submit}>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.currentTarget.value as api.Role)} data-testid="user-role">
          {ROLES.map((r) => (
            <option value={r}>{r}</option>
          ))}
        </select>
      </label>
      <label>
        New password <span class="muted small">(empty: unchanged)</span>
        <input type="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} data-testid="user-new-password" autocomplete="new-password" />
      </label>
    </FormDialog>
  )
}

function UserForm({ onClose, onSaved }: { onClose: () => void; onSaved: () => void }) {
  const [u, setU] = useState<api.NewUser>({ username: '', password: '', role: 'Viewer', email: '', first_name: '', last_name: '' })
  const field = (k: keyof api.NewUser, label: string, type = 'text') => (
    <label>
      {label}
      <input type={type} value={String(u[k] ?? '')} required={k === 'username' || k === 'password'} onInput={(e) => setU({ ...u, [k]: e.currentTarget.value })} data-testid={`user-${k}`} autocomplete="off" />
    </label>
  )
  const submit = async () => {
    await api.createUser(u)
    onSaved()
  }
  return (
    <FormDialog title="New user" noun="user" onClose={onClose} submit={submit} saveLabel="Create">
      {field('username', 'User name')}
      {field('password', 'Password', 'password')}
      <label>
        Role
        <select value={u.role} onChange={(e) => setU({ ...u, role: e.currentTarget.value as api.Role })} data-testid="user-role">
          {ROLES.map((r) => (
            <option value={r}>{r}</option>
          ))}
        </select>
      </label>
      <div class="row2">
        {field('first_name', 'First name')}
        {field('last_name', 'Last name')}
      </div>
      {field('email', 'Email', 'email')}
    </FormDialog>
  )
}

// ---- audit log

export function AuditLog() {
  const [limit, setLimit] = useState(100)
  const logs = useLoad(() => api.eventLogs(limit), [limit], 'audit')
  const list = logs.data?.event_logs ?? []
  return (
    <div class="page">
      <header class="page-head">
        <h1>Audit log</h1>
        <button onClick={logs.reload}>Refresh</button>
      </header>
      <ErrorBox error={logs.error} />
      <table class="list compact" data-testid="audit-table">
        <thead>
          <tr>
            <th>When</th>
            <th>Event</th>
            <th>Who</th>
            <th>DAG</th>
            <th>Run</th>
            <th>Task</th>
            <th>Extra</th>
          </tr>
        </thead>
        <tbody>
          {list.map((e) => (
            <tr key={e.event_log_id} data-testid="audit-row" data-event={e.event}>
              <td class="nowrap">{dateTime(e.when)}</td>
              <td>
                <code>{e.event}</code>
              </td>
              <td>{e.owner}</td>
              <td>{e.dag_id && <a href={href(['dags', e.dag_id, 'grid'])}>{e.dag_id}</a>}</td>
              <td class="muted">{e.run_id}</td>
              <td>
                {e.dag_id && e.run_id && e.task_id ? <a href={href(['dags', e.dag_id, 'runs', e.run_id, 'tasks', e.task_id])}>{e.task_id}</a> : e.task_id}
              </td>
              <td class="muted extra">{e.extra}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {logs.data && list.length < logs.data.total_entries && (
        <div class="pager">
          <button onClick={() => setLimit(Math.min(1000, limit + 100))} disabled={limit >= 1000}>
            Show more ({list.length} of {logs.data.total_entries})
          </button>
        </div>
      )}
    </div>
  )
}

// ---- cluster

export function Cluster() {
  const c = useLoad(() => api.clusterMembers(), [], 'cluster')
  // Who waits and why changes with task instances; reload on their events, coalesced.
  useEffect(() => {
    const reload = coalesce(c.reload, 2000)
    const offs = [on('task_instance', reload), on('resync', reload)]
    return () => offs.forEach((f) => f())
  }, [])
  const members = c.data?.members ?? []
  const waiting = c.data?.waiting ?? []
  return (
    <div class="page">
      <header class="page-head">
        <h1>Cluster</h1>
        <button onClick={c.reload} data-testid="cluster-refresh">
          Refresh
        </button>
      </header>
      <ErrorBox error={c.error} />
      {c.data && members.length === 0 && (
        // No cluster: standalone and the desktop window run every task in this one process.
        <div class="banner info" data-testid="cluster-standalone">
          <p>
            <strong>One node: this process.</strong> <code>wasmflow standalone</code> (and the desktop window) schedules and runs every task
            itself, with no workers, so there is no cluster to list here.
          </p>
          <p>
            To run tasks on more machines, start <code>wasmflow server</code> instead: it prints its cluster address and secret. On each other
            machine run <code>wasmflow worker --join HOST:7946 --secret SECRET</code>; the workers then show here with their queues and slots, and
            the tasks waiting for one below.
          </p>
        </div>
      )}
      <h3>Members</h3>
      <table class="list" data-testid="members-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>State</th>
            <th>Address</th>
            <th>Queues</th>
            <th>Slots</th>
            <th>Version</th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.name} data-testid="member-row" data-name={m.name} data-state={m.state}>
              <td>
                <code>{m.name}</code>
              </td>
              <td>{m.role}</td>
              <td>
                <span class={`member-state ${m.state}`}>{m.state}</span>
                {m.draining && <span class="tag">draining</span>}
              </td>
              <td class="muted small">
                {m.address}
                {m.data_address && m.data_address !== m.address ? ` · data ${m.data_address}` : ''}
              </td>
              <td>{(m.queues ?? []).join(', ')}</td>
              <td>
                {m.slots > 0 ? (
                  <>
                    <Meter used={m.used_slots} total={m.slots} /> {m.used_slots}/{m.slots}
                  </>
                ) : (
                  <span class="muted" title="runs no tasks itself">—</span>
                )}
              </td>
              <td class="muted">{m.version}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Waiting for a worker</h3>
      {c.data && waiting.length === 0 && <div class="empty">No task instance is waiting for a worker.</div>}
      {waiting.length > 0 && (
        <table class="list compact" data-testid="waiting-table">
          <thead>
            <tr>
              <th>Task instance</th>
              <th>Try</th>
              <th>Queue</th>
              <th>Since</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {waiting.map((w) => (
              <tr data-testid="waiting-row" data-task-id={w.task_id}>
                <td>
                  <a href={href(['dags', w.dag_id, 'runs', w.dag_run_id, 'tasks', w.task_id])}>
                    {w.dag_id} / {w.task_id}
                  </a>
                  <div class="muted small">{w.dag_run_id}</div>
                </td>
                <td>{w.try_number}</td>
                <td>{w.queue}</td>
                <td title={dateTime(w.since)}>{relative(w.since)}</td>
                <td>{w.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
