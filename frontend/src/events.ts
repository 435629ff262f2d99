// Live updates: one EventSource on /api/v1/events for the whole app (docs/api.md, "Live updates").
// Views subscribe to event types; nothing polls. When the stream comes back after a break, views
// get a "resync" so they can reload what they may have missed.

import { BASE, type DagRun, type TaskInstance } from './api'

export interface DagEvent {
  dag_id: string
  is_paused?: boolean
}

export interface EventMap {
  task_instance: TaskInstance
  dag_run: DagRun
  dag: DagEvent
  /** An SLA miss was recorded: task_id null for the run's deadline. */
  sla_miss: { dag_id: string; dag_run_id: string; task_id: string | null }
  /** Not from the server: the stream reconnected, anything may have changed meanwhile. */
  resync: Record<string, never>
}

type Handler<K extends keyof EventMap> = (data: EventMap[K]) => void

const handlers: { [K in keyof EventMap]: Set<Handler<K>> } = {
  task_instance: new Set(),
  dag_run: new Set(),
  dag: new Set(),
  sla_miss: new Set(),
  resync: new Set(),
}

let source: EventSource | null = null
let broken = false
let retry: ReturnType<typeof setTimeout> | undefined
let failures = 0 // streams refused in a row: the wait before the next try doubles, up to a minute
let onClosed: () => void = () => {}

function emit<K extends keyof EventMap>(type: K, data: EventMap[K]) {
  for (const h of handlers[type]) {
    try {
      h(data)
    } catch (e) {
      console.error(`wasmflow: ${type} handler`, e)
    }
  }
}

function listen<K extends 'task_instance' | 'dag_run' | 'dag' | 'sla_miss'>(es: EventSource, type: K) {
  es.addEventListener(type, (ev) => {
    let data: EventMap[K]
    try {
      data = JSON.parse((ev as MessageEvent).data)
    } catch {
      return
    }
    emit(type, data)
  })
}

/** Opens the stream (once); `closed` is called when the server refuses it, e.g. after a logout. */
export function connect(closed: () => void) {
  onClosed = closed
  if (source) return
  const es = new EventSource(`${BASE}/events`, { withCredentials: true })
  source = es
  listen(es, 'task_instance')
  listen(es, 'dag_run')
  listen(es, 'dag')
  listen(es, 'sla_miss')
  es.addEventListener('open', () => {
    if (broken) emit('resync', {})
    broken = false
  })
  // The first event proves the stream works (an 'open' alone does not: a server that cannot
  // flush answers 200 and then nothing).
  es.addEventListener('hello', () => {
    failures = 0
    delivered()
  })
  es.addEventListener('ping', () => (failures = 0))
  es.addEventListener('error', () => {
    broken = true
    // EventSource retries by itself after a dropped connection (readyState CONNECTING); it
    // gives up for good on an HTTP error such as 401 (CLOSED). Then ask the app, which checks
    // the session, and try again later if it is still valid.
    if (es.readyState === EventSource.CLOSED) {
      source = null
      clearTimeout(retry)
      retry = setTimeout(() => onClosed(), Math.min(60_000, 3000 * 2 ** failures++))
    }
  })
}

let delivered: () => void = () => {}
const firstEvent = new Promise<void>((resolve) => (delivered = resolve))

/**
 * Whether the stream delivered its first event within ms: the desktop window reports it, as
 * its asset server must pass streamed responses on as they are written.
 */
export function liveWithin(ms: number): Promise<boolean> {
  return Promise.race([firstEvent.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))])
}

export function disconnect() {
  clearTimeout(retry)
  source?.close()
  source = null
  broken = false
}

/** Subscribes to one event type; returns the unsubscribe function (fits useEffect). */
export function on<K extends keyof EventMap>(type: K, h: Handler<K>): () => void {
  handlers[type].add(h)
  return () => {
    handlers[type].delete(h)
  }
}

/**
 * Coalesces reloads triggered by events: at most one call in flight and one queued, at most one
 * start per `gap` ms. A burst of a thousand task events becomes a couple of requests.
 */
export function coalesce(fn: () => Promise<unknown>, gap = 300): () => void {
  let running = false
  let again = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let last = 0
  const run = async () => {
    timer = undefined
    running = true
    last = Date.now()
    try {
      await fn()
    } catch {
      /* the view shows its own errors */
    }
    running = false
    if (again) {
      again = false
      schedule()
    }
  }
  const schedule = () => {
    if (running) {
      again = true
      return
    }
    if (timer) return
    timer = setTimeout(run, Math.max(0, gap - (Date.now() - last)))
  }
  return schedule
}
