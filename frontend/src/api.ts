// The one place that talks to the HTTP API (docs/api.md). Types mirror its JSON names, which are
// Airflow's REST names. Every view goes through `request`, so CSRF, 401 and error shapes are
// handled once.

import type { ParamSpec } from './components/paramForm'
export type { ParamSpec }

export type Role = 'Viewer' | 'User' | 'Op' | 'Admin'

export type TaskState =
  | 'none'
  | 'scheduled'
  | 'queued'
  | 'running'
  | 'success'
  | 'failed'
  | 'skipped'
  | 'upstream_failed'
  | 'up_for_retry'
  | 'up_for_reschedule'
  | 'deferred'
  | 'removed'
  | 'restarting'

export type RunState = 'queued' | 'running' | 'success' | 'failed'

export interface Session {
  username: string
  role: Role
  csrf_token: string
  /** true inside the desktop window: the local user, no login, native dialogs */
  desktop?: boolean
}

export interface Tag {
  name: string
}

export interface Dag {
  dag_id: string
  description: string | null
  fileloc: string
  is_paused: boolean
  is_active: boolean
  owners: string[]
  schedule_interval: unknown // Airflow's object ({__type: 'CronExpression', value} or a TimeDelta) or null
  timezone: string
  tags: Tag[] | null
  catchup: boolean
  max_active_runs: number
  max_active_tasks: number
  last_parsed_time: string | null
  next_dagrun: string | null
  next_dagrun_data_interval_start: string | null
  next_dagrun_data_interval_end: string | null
  next_dagrun_create_after: string | null
  params: Record<string, unknown> | null
  /** the DAG's task groups, in file order (the DAG's details only) */
  task_groups?: TaskGroup[]
  /** the DAG file relative to the DAGs folder; null outside it (an example: read-only) */
  file_path?: string | null
}

export interface DagDetails extends Omit<Dag, 'params'> {
  params: Record<string, ParamSpec>
  /** the DAG's Markdown doc, null without one */
  doc_md?: string | null
}

export interface RecentRun {
  dag_run_id: string
  state: RunState
  logical_date: string
}

export interface CalendarDay {
  /** YYYY-MM-DD, UTC */
  date: string
  states: Partial<Record<RunState, number>>
  /** the schedule's runs still to come that day */
  planned: number
}

export interface UiDag extends Dag {
  recent_runs: RecentRun[] | null
  /** how many of the DAG's runs are in each state */
  run_counts?: Partial<Record<RunState, number>>
  /** the newest run, null before the first */
  last_run?: RecentRun | null
}

export interface Task {
  task_id: string
  module: string | null
  upstream_task_ids: string[]
  downstream_task_ids: string[]
  trigger_rule: string
  retries: number
  queue: string
  pool: string
  priority_weight: number
  is_sensor: boolean
  is_branch: boolean
  execution_timeout: TimeDelta | null
  retry_delay: TimeDelta
  retry_exponential_backoff: boolean
  /** the task's Markdown doc, null without one */
  doc_md?: string | null
  /** the id as written in the file: task_id without its group's prefix */
  label?: string
  /** the innermost task group's id; null outside any */
  task_group?: string | null
  /** every group's id from the outermost in; [] outside any */
  group_path?: string[]
}

/** A task group (Airflow's TaskGroup) as the DAG's details and the grid answer it. */
export interface TaskGroup {
  group_id: string
  label: string
  tooltip: string
  prefix_group_id: boolean
  parent_group_id: string | null
  /** every task inside, nested groups' included */
  task_ids: string[]
}

/** Python's timedelta as Airflow's API writes it. */
export interface TimeDelta {
  __type: 'TimeDelta'
  days: number
  seconds: number
  microseconds: number
}

export interface DagRun {
  dag_id: string
  dag_run_id: string
  run_type: string
  state: RunState
  logical_date: string
  data_interval_start: string | null
  data_interval_end: string | null
  start_date: string | null
  end_date: string | null
  conf: Record<string, unknown> | null
  external_trigger: boolean
}

export interface TaskInstance {
  dag_id: string
  dag_run_id: string
  task_id: string
  /** -1 unless the task is mapped: then its instance's index in the expand list. */
  map_index: number
  state: TaskState | null
  try_number: number
  max_tries: number
  start_date: string | null
  end_date: string | null
  duration: number | null
  hostname: string
  pool: string
  pool_slots: number
  queue: string
  priority_weight: number
  exit_code: number | null
  reason: string | null
}

/** A granted-I/O call of a try (SPEC §8, docs/hostcalls.md "The record"), made or refused. */
export interface TaskCall {
  /** http, sql or secret */
  kind: string
  /** the conn_id, or the host */
  target: string
  /** the method and path, the statement's head, or the secret's name */
  op?: string
  status?: number
  rows?: number
  bytes_out?: number
  bytes_in?: number
  duration_ns: number
  refused?: boolean
  error?: string
}

/** An ended try, with the calls it made. */
export interface TaskTry extends TaskInstance {
  calls: TaskCall[]
}

export interface Rendered {
  module?: string
  args?: string[]
  env?: Record<string, string>
  [k: string]: unknown
}

export interface TaskInstanceDetail extends TaskInstance {
  rendered?: Rendered | null
  why?: string | string[] | null
}

export interface GridCell {
  state: TaskState | null
  try_number: number
  duration: number | null
  /** A mapped task's instances counted by state; its state is the most pressing of them. */
  mapped_states?: Record<string, number>
  /** The task's sla passed before it succeeded in this run. */
  sla_miss?: boolean
}

export interface Grid {
  /** sla_miss: the run had not ended by its DAG's deadline. */
  dag_runs: (DagRun & { sla_miss?: boolean })[]
  tasks: { task_id: string; upstream_task_ids: string[]; label?: string; group_path?: string[]; is_mapped?: boolean }[]
  task_groups?: TaskGroup[]
  instances: (GridCell | null)[][]
}

export interface ImportError {
  import_error_id: number
  filename: string
  timestamp: string
  stack_trace: string
}

export interface XCom {
  key: string
  value: unknown
  timestamp: string
  task_id: string
  dag_id: string
  dag_run_id: string
}

export interface ClearRequest {
  dag_run_id: string
  /** Task ids, or Airflow's [task_id, map_index] for one instance of a mapped task. */
  task_ids?: (string | [string, number])[]
  only_failed?: boolean
  include_upstream?: boolean
  include_downstream?: boolean
  dry_run?: boolean
}

export interface ClearedInstance {
  dag_id: string
  dag_run_id: string
  task_id: string
  map_index?: number
  state: TaskState | null
}

export interface DatasetDagRef {
  dag_id: string
  created_at: string
  updated_at: string
}

export interface DatasetTaskRef extends DatasetDagRef {
  task_id: string
}

/** Airflow's Dataset: a URI with the tasks that update it and the DAGs it triggers. */
export interface Dataset {
  id: number
  uri: string
  extra: Record<string, unknown> | null
  created_at: string
  updated_at: string
  consuming_dags: DatasetDagRef[]
  producing_tasks: DatasetTaskRef[]
}

export interface DatasetEvent {
  dataset_id: number
  dataset_uri: string
  extra: Record<string, unknown> | null
  source_dag_id: string | null
  source_task_id: string | null
  source_run_id: string | null
  source_map_index: number
  created_dagruns: { run_id: string; dag_id: string; state: string; logical_date: string }[]
  timestamp: string
}

export interface Pool {
  name: string
  slots: number
  occupied_slots: number
  used_slots: number // Airflow's name of running_slots
  running_slots: number
  queued_slots: number
  open_slots: number
  description: string | null
}

export interface Variable {
  key: string
  value: string
  description: string | null
}

/** Airflow's Connection as the API shows it: never the password, secrets in extra as ***. */
export interface Connection {
  connection_id: string
  conn_type: string
  description: string
  host: string
  login: string
  schema: string
  port: number | null
  extra: string
  /** Whether a password is set (it is write-only: never sent back). */
  has_password: boolean
}

/** What creating, changing or testing a connection sends; a password only when one is typed. */
export interface ConnectionBody {
  connection_id?: string
  conn_type?: string
  description?: string
  host?: string
  login?: string
  schema?: string
  port?: number | null
  extra?: string
  password?: string
}

export interface ConnectionTest {
  status: boolean
  message: string
}

export interface User {
  username: string
  /** Airflow's shape: a list of roles; wasmflow gives each user one. */
  roles?: { name: Role }[]
  role?: Role
  email: string
  first_name: string
  last_name: string
  [k: string]: unknown
}

export interface NewUser {
  username: string
  password: string
  role: Role
  email?: string
  first_name?: string
  last_name?: string
}

export interface EventLog {
  event_log_id: number
  when: string
  event: string
  owner: string
  dag_id: string | null
  run_id: string | null
  task_id: string | null
  extra: string | null
}

export interface Member {
  name: string
  address: string
  data_address: string
  role: string
  queues: string[] | null
  slots: number
  used_slots: number
  state: string
  draining: boolean
  version: string
}

export interface Waiting {
  dag_id: string
  dag_run_id: string
  task_id: string
  try_number: number
  queue: string
  since: string
  reason: string
}

export interface Health {
  metadatabase: { status: string }
  scheduler: { status: string; latest_scheduler_heartbeat?: string }
}

/** An answer other than 2xx, carrying the problem's `detail` (docs/api.md, "Errors"). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    /** the problem's whole JSON body (extra members such as `problems` or `current_sha256`) */
    readonly body: Record<string, unknown> = {},
  ) {
    super(detail || title || `HTTP ${status}`)
  }
}

export const BASE = '/api/v1'

let csrf = ''
let onUnauthorized: () => void = () => {}

/** Called with the session after login or /auth/me; the token goes on every state change. */
export function setCsrf(token: string) {
  csrf = token
}

/** What happens on a 401: the app shows the login page. */
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn
}

type Query = Record<string, string | number | boolean | undefined | null | (string | number)[]>

/** A URL of the API on this origin: the server and the desktop window both answer /api/v1. */
export function url(path: string, query?: Query): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) v.forEach((x) => q.append(k, String(x)))
    else q.set(k, String(v))
  }
  const s = q.toString()
  return `${BASE}${path}${s ? `?${s}` : ''}`
}

/** One path segment, escaped: run ids hold ':' and '+'. */
export const seg = (s: string) => encodeURIComponent(s)

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  query?: Query
  body?: unknown
  text?: boolean
  /** A raw body (a file's bytes) instead of JSON, sent with `contentType`. */
  raw?: Blob | ArrayBuffer
  contentType?: string
  /** Do not jump to the login page on 401 (the login and first /auth/me calls). */
  quiet401?: boolean
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET'
  const headers: Record<string, string> = { Accept: opts.text ? 'text/plain' : 'application/json' }
  if (method !== 'GET') {
    if (csrf) headers['X-CSRF-Token'] = csrf
  }
  let body: BodyInit | undefined
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  } else if (opts.raw !== undefined) {
    headers['Content-Type'] = opts.contentType ?? 'application/octet-stream'
    body = opts.raw
  }
  const res = await fetch(url(path, opts.query), { method, headers, body, credentials: 'same-origin' })
  if (res.status === 401 && !opts.quiet401) onUnauthorized()
  if (!res.ok) throw await problem(res)
  if (res.status === 204) return undefined as T
  if (opts.text) return (await res.text()) as T
  const type = res.headers.get('Content-Type') ?? ''
  if (!type.includes('json')) return (await res.text()) as T
  return (await res.json()) as T
}

async function problem(res: Response): Promise<ApiError> {
  let title = res.statusText
  let detail = ''
  let body: Record<string, unknown> = {}
  try {
    const text = await res.text()
    try {
      const p = JSON.parse(text)
      title = p.title ?? title
      detail = p.detail ?? p.error ?? p.message ?? ''
      if (p && typeof p === 'object') body = p
    } catch {
      detail = text.trim().slice(0, 500)
    }
  } catch {
    /* no body */
  }
  if (res.status === 429) {
    const after = res.headers.get('Retry-After')
    if (after && !detail.includes(after)) detail = `${detail || 'Too many attempts'} (retry after ${after} s)`
  }
  return new ApiError(res.status, title, detail, body)
}

/** A message for the user from any thrown value. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.detail ? `${e.title}: ${e.detail}` : `${e.status} ${e.title}`
  if (e instanceof Error) return e.message
  return String(e)
}

// ---- auth

export const login = (username: string, password: string) =>
  request<Session>('/auth/login', { method: 'POST', body: { username, password }, quiet401: true })
export const logout = () => request<void>('/auth/logout', { method: 'POST', quiet401: true })
export const me = () => request<Session>('/auth/me', { quiet401: true })
export const version = () => request<{ version: string; git_version: string }>('/version')
export const health = () => request<Health>('/health')

// ---- DAGs

export interface DagListQuery {
  limit?: number
  offset?: number
  dag_id_pattern?: string
  tags?: string[]
  paused?: boolean
  only_active?: boolean
}

export const uiDags = (q: DagListQuery) =>
  request<{ dags: UiDag[]; total_entries: number; import_errors: number }>('/ui/dags', { query: q as Query })
export const dag = (id: string) => request<Dag>(`/dags/${seg(id)}`)
/** Airflow's DAGDetail: every param as a Param, with its schema. */
export const dagDetails = (id: string) => request<DagDetails>(`/dags/${seg(id)}/details`)
export const patchDag = (id: string, is_paused: boolean) =>
  request<Dag>(`/dags/${seg(id)}`, { method: 'PATCH', body: { is_paused } })
export const tasks = (id: string) => request<{ tasks: Task[]; total_entries: number }>(`/dags/${seg(id)}/tasks`)
export const source = (id: string) => request<string>(`/dags/${seg(id)}/source`, { text: true })
export const grid = (id: string, num_runs: number, before?: string) =>
  request<Grid>(`/dags/${seg(id)}/grid`, { query: { num_runs, before } })
/** A year of a DAG's runs by day (UTC) and state, and its planned runs. */
export const calendar = (id: string, year: number) => request<{ dag_id: string; year: number; days: CalendarDay[] }>(`/dags/${seg(id)}/calendar`, { query: { year } })
export const importErrors = () =>
  request<{ import_errors: ImportError[]; total_entries: number }>('/importErrors', { query: { limit: 1000 } })

// ---- runs

export const dagRuns = (id: string, q: { limit?: number; offset?: number; state?: string[]; order_by?: string }) =>
  request<{ dag_runs: DagRun[]; total_entries: number }>(`/dags/${seg(id)}/dagRuns`, { query: q as Query })
export const dagRun = (id: string, run: string) => request<DagRun>(`/dags/${seg(id)}/dagRuns/${seg(run)}`)
export const triggerRun = (id: string, body: { dag_run_id?: string; logical_date?: string; conf?: unknown }) =>
  request<DagRun>(`/dags/${seg(id)}/dagRuns`, { method: 'POST', body })
export const markRun = (id: string, run: string, state: 'success' | 'failed') =>
  request<DagRun>(`/dags/${seg(id)}/dagRuns/${seg(run)}`, { method: 'PATCH', body: { state } })

// ---- task instances

const tiPath = (id: string, run: string, task?: string) =>
  `/dags/${seg(id)}/dagRuns/${seg(run)}/taskInstances${task === undefined ? '' : `/${seg(task)}`}`

export const taskInstances = (id: string, run: string) =>
  request<{ task_instances: TaskInstance[]; total_entries: number }>(tiPath(id, run))
/** A run's task instances, up to limit of them (the endpoint's default page is 100). */
export const runTaskInstances = (id: string, run: string, limit: number) =>
  request<{ task_instances: TaskInstance[]; total_entries: number }>(tiPath(id, run), { query: { limit } })
/** A mapped instance's map_index as a query parameter (none for -1, a task not mapped). */
const mi = (mapIndex: number) => (mapIndex >= 0 ? { map_index: mapIndex } : {})

export const taskInstance = (id: string, run: string, task: string, mapIndex = -1) =>
  request<TaskInstanceDetail>(tiPath(id, run, task) + (mapIndex >= 0 ? `/${mapIndex}` : ''))
export const listMapped = (id: string, run: string, task: string) =>
  request<{ task_instances: TaskInstance[]; total_entries: number }>(`${tiPath(id, run, task)}/listMapped`, { query: { limit: 1000 } })
export const markTaskInstance = (id: string, run: string, task: string, new_state: 'success' | 'failed', mapIndex = -1) =>
  request<TaskInstance>(tiPath(id, run, task) + (mapIndex >= 0 ? `/${mapIndex}` : ''), { method: 'PATCH', body: { new_state } })
export const tries = (id: string, run: string, task: string, mapIndex = -1) =>
  request<{ task_instances: TaskTry[]; total_entries: number }>(`${tiPath(id, run, task)}/tries`, { query: mi(mapIndex) })
/** A callback request: the event that raised it, and whether it ran (docs/dags.md, Callbacks). */
export interface Callback {
  callback_id: number
  task_id: string | null
  map_index: number
  event: string
  try_number: number
  state: string
  reason: string
  created_at: string
  done_at: string | null
  error: string
  hostname: string
  log_url: string
}
export const callbacks = (id: string, run: string, task?: string) =>
  request<{ callbacks: Callback[]; total_entries: number }>(`/dags/${seg(id)}/dagRuns/${seg(run)}/callbacks`, { query: task ? { task_id: task } : {} })
export const callbackLog = (id: string, run: string, callbackId: number) =>
  request<string>(`/dags/${seg(id)}/dagRuns/${seg(run)}/callbacks/${callbackId}/log`, { text: true })
export const xcoms = (id: string, run: string, task: string, mapIndex = -1) =>
  request<{ xcom_entries: XCom[]; total_entries: number }>(`${tiPath(id, run, task)}/xcomEntries`, { query: mi(mapIndex) })
export const logStreamUrl = (id: string, run: string, task: string, tryNumber: number, offset: number, mapIndex = -1) =>
  url(`${tiPath(id, run, task)}/logs/${tryNumber}/stream`, { offset, ...mi(mapIndex) })
export const logUrl = (id: string, run: string, task: string, tryNumber: number, mapIndex = -1) =>
  url(`${tiPath(id, run, task)}/logs/${tryNumber}`, mi(mapIndex))
/** A log from a byte offset; the answer's X-Log-Offset is where to continue. */
export async function fetchLog(id: string, run: string, task: string, tryNumber: number, offset: number, mapIndex = -1): Promise<{ text: string; offset: number }> {
  const res = await fetch(url(`${tiPath(id, run, task)}/logs/${tryNumber}`, { offset, ...mi(mapIndex) }), {
    credentials: 'same-origin',
    headers: { Accept: 'text/plain' },
  })
  if (res.status === 401) onUnauthorized()
  if (!res.ok) throw await problem(res)
  const text = await res.text()
  const next = Number(res.headers.get('X-Log-Offset'))
  return { text, offset: Number.isFinite(next) && next > 0 ? next : offset + byteLength(text) }
}

const encoder = new TextEncoder()
export const byteLength = (s: string) => encoder.encode(s).length

export const clearTaskInstances = (id: string, body: ClearRequest) =>
  request<{ task_instances: ClearedInstance[] }>(`/dags/${seg(id)}/clearTaskInstances`, { method: 'POST', body })

// ---- admin

export const datasets = () =>
  request<{ datasets: Dataset[]; total_entries: number }>('/datasets', { query: { limit: 1000, order_by: 'uri' } })
export const datasetEvents = (q: { dataset_id?: number; limit?: number }) =>
  request<{ dataset_events: DatasetEvent[]; total_entries: number }>('/datasets/events', {
    query: { order_by: '-timestamp', limit: q.limit ?? 50, dataset_id: q.dataset_id },
  })

export const pools = () => request<{ pools: Pool[]; total_entries: number }>('/pools', { query: { limit: 1000 } })
export const createPool = (p: { name: string; slots: number; description?: string }) =>
  request<Pool>('/pools', { method: 'POST', body: p })
export const patchPool = (name: string, p: { name: string; slots: number; description?: string }) =>
  request<Pool>(`/pools/${seg(name)}`, { method: 'PATCH', body: p })
export const deletePool = (name: string) => request<void>(`/pools/${seg(name)}`, { method: 'DELETE' })

export const variables = () =>
  request<{ variables: Variable[]; total_entries: number }>('/variables', { query: { limit: 1000 } })
/** One variable with its value, a secret one's too (the list masks those). */
export const variable = (key: string) => request<Variable>(`/variables/${seg(key)}`)
export const createVariable = (v: Variable) => request<Variable>('/variables', { method: 'POST', body: v })
export const patchVariable = (key: string, v: Variable) =>
  request<Variable>(`/variables/${seg(key)}`, { method: 'PATCH', body: v })
export const deleteVariable = (key: string) => request<void>(`/variables/${seg(key)}`, { method: 'DELETE' })

/** Airflow's sensitive words: a variable whose key holds one is listed with its value masked. */
const SENSITIVE = ['password', 'passwd', 'secret', 'token', 'api_key', 'apikey', 'access_token', 'authorization', 'private_key', 'passphrase', 'keyfile_dict', 'service_account']
export const isSensitiveKey = (key: string) => SENSITIVE.some((w) => key.toLowerCase().includes(w))

export const connections = () =>
  request<{ connections: Connection[]; total_entries: number }>('/connections', { query: { limit: 1000 } })
export const createConnection = (c: ConnectionBody) => request<Connection>('/connections', { method: 'POST', body: c })
/** Changes exactly the fields named in `fields` (update_mask), so a cleared port is cleared. */
export const patchConnection = (id: string, c: ConnectionBody, fields: string[]) =>
  request<Connection>(`/connections/${seg(id)}`, { method: 'PATCH', body: c, query: { update_mask: fields.join(',') } })
export const deleteConnection = (id: string) => request<void>(`/connections/${seg(id)}`, { method: 'DELETE' })
/** Tests a connection; for a stored one, what the body leaves out is the stored value. */
export const testConnection = (c: ConnectionBody) =>
  request<ConnectionTest>('/connections/test', { method: 'POST', body: c })

export const users = () => request<{ users: User[]; total_entries: number }>('/users', { query: { limit: 1000 } })
export const createUser = (u: NewUser) => request<User>('/users', { method: 'POST', body: u })
export const deleteUser = (name: string) => request<void>(`/users/${seg(name)}`, { method: 'DELETE' })
/** Airflow's batch list of task instances across DAGs (POST /dags/~/dagRuns/~/taskInstances/list). */
export const taskInstancesAcross = (body: {
  dag_ids?: string[]
  dag_run_ids?: string[]
  task_ids?: string[]
  state?: (string | null)[]
  execution_date_gte?: string
  execution_date_lte?: string
  page_offset?: number
  page_limit?: number
}) => request<{ task_instances: TaskInstance[]; total_entries: number }>('/dags/~/dagRuns/~/taskInstances/list', { method: 'POST', body })
/** XComs of a task instance, or with "~" of every DAG, run or task (Airflow's cross-DAG form). */
export const xcomsAcross = (dag: string, run: string, task: string, q: { limit: number; offset: number }) =>
  request<{ xcom_entries: XCom[]; total_entries: number }>(`/dags/${seg(dag)}/dagRuns/${seg(run)}/taskInstances/${seg(task)}/xcomEntries`, { query: q })
/** Changes a user's role or password (the fields sent); older servers have no such route. */
export const patchUser = (name: string, body: { role?: Role; password?: string }) =>
  request<User>(`/users/${seg(name)}`, { method: 'PATCH', body })
/** Whether this server serves a route (METHOD, path as its OpenAPI writes it), read once. */
let spec: Promise<{ paths?: Record<string, Record<string, unknown>> }> | null = null
export async function serves(method: string, path: string): Promise<boolean> {
  spec ??= request<{ paths?: Record<string, Record<string, unknown>> }>('/openapi.json').catch(() => ({}))
  return !!(await spec).paths?.[path]?.[method.toLowerCase()]
}

export const eventLogs = (limit: number, offset = 0) =>
  request<{ event_logs: EventLog[]; total_entries: number }>('/eventLogs', { query: { limit, offset } })

export const clusterMembers = () => request<{ members: Member[]; waiting: Waiting[] | null }>('/cluster/members')

// ---- roles

const rank: Record<Role, number> = { Viewer: 0, User: 1, Op: 2, Admin: 3 }

/** Whether a role includes another (Viewer < User < Op < Admin). The server enforces; this hides. */
export function atLeast(role: Role | undefined, need: Role): boolean {
  if (!role) return false
  return (rank[role] ?? -1) >= rank[need]
}

// ---- modules (authoring)

/** A wasm module under the DAGs folder (docs/api.md, "Authoring"). */
export interface ModuleInfo {
  /** relative to the DAGs folder, e.g. modules/x.wasm */
  path: string
  name: string
  sha256: string
  size: number
  /** the path to write in a DAG file: relative to that file's folder */
  ref: string
}

/** A problem of a DAG file, 1-based as the parser reports it. */
export interface FileProblem {
  line: number
  column: number
  message: string
}

/** A task of a DAG file being edited, as far as it can be read (also from a file with problems). */
export interface DraftTask {
  task_id: string
  upstream: string[] | null
  kind: 'module' | 'sensor' | 'branch'
  trigger_rule: string
  line: number
}

export interface Validation {
  valid: boolean
  dag_id: string | null
  problems: FileProblem[] | null
  tasks: DraftTask[] | null
}

export interface DagFile {
  path: string
  content: string
  sha256: string
  dag_id: string | null
}

export interface SavedDagFile {
  path: string
  sha256: string
  dag_id: string
}

/** A path under the DAGs folder as URL segments: each escaped, '/' kept. */
const filePath = (p: string) => p.split('/').map(seg).join('/')

export const validateDagFile = (content: string, path?: string) =>
  request<Validation>('/dagFiles/validate', { method: 'POST', body: { path: path || undefined, content } })
export const dagFile = (path: string) => request<DagFile>(`/dagFiles/${filePath(path)}`)
/**
 * Writes a DAG file; base_sha256 is the sha256 it had when opened, '' to create it. 422 carries
 * `problems`, 409 `current_sha256` (on the ApiError's body).
 */
export const saveDagFile = (path: string, content: string, base_sha256: string) =>
  request<SavedDagFile>(`/dagFiles/${filePath(path)}`, { method: 'PUT', body: { content, base_sha256 } })
/** The wasm modules under the DAGs folder; `ref` is relative to the folder of `relative_to`. */
export const modules = (relative_to?: string) =>
  request<{ modules: ModuleInfo[] | null }>('/modules', { query: { relative_to } }).then((r) => r.modules ?? [])
/** The example DAGs' modules (echo.wasm, …), which importExampleModule copies into the DAGs folder. */
export const exampleModules = () => request<{ examples: string[] | null }>('/modules').then((r) => r.examples ?? [])
export const importExampleModule = (name: string) => request<ModuleInfo>(`/modules/examples/${seg(name)}`, { method: 'POST' })
/** Stores a module's bytes under the DAGs folder as modules/<name>.wasm (another module's name taken: <name>-<sha256 prefix>.wasm). */
export const uploadModule = (name: string, bytes: Blob) =>
  request<ModuleInfo>('/modules', { method: 'POST', query: { name }, raw: bytes, contentType: 'application/wasm' })

// ---- built-in operators (authoring)

/** A field of a built-in operator (tasks/operators/operators.go, docs/operators.md). */
export interface OperatorField {
  name: string
  /** string, enum (one of values), conn_id (names a connection, which it grants), url, condition, expression, list */
  type: 'string' | 'enum' | 'conn_id' | 'url' | 'condition' | 'expression' | 'list' | string
  required: boolean
  templated: boolean
  values?: string[]
  default?: string
  doc: string
}

/** What `operator: NAME` may name, with its fields. */
export interface Operator {
  name: string
  /** the Airflow operator it stands for */
  airflow: string
  doc: string
  fields: OperatorField[]
  /** a sensor: the task takes the sensor keys (poke_interval, timeout, mode, ...) */
  sensor?: boolean
  /** fields of which a task sets exactly one (http_conn_id or url) */
  one_of?: string[]
  example: string
  /** whether this server's binary has the operator's module */
  built: boolean
}

export const operators = () =>
  request<{ operators: Operator[] | null }>('/operators').then((r) => r.operators ?? [])
