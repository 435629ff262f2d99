// Small pieces shared by the views: the session context, loading data, state badges, dialogs.

import { createContext, type ComponentChildren, type ComponentType, type FunctionComponent } from 'preact'
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks'
import { atLeast, errorText, type Role, type RunState, type Session, type TaskState } from './api'
import { setQuery } from './router'
import { stateColor, stateInk, stateName } from './states'

export const SessionContext = createContext<Session | null>(null)

export function useSession(): Session | null {
  return useContext(SessionContext)
}

/** Whether the signed-in user's role includes `need`; for hiding actions only. */
export function useCan(need: Role): boolean {
  return atLeast(useSession()?.role, need)
}

// ---- readiness for tests and the desktop smoke test

let firstReady = false
let readyWaiters: (() => void)[] = []
let viewListeners: ((view: string) => void)[] = []

/** Calls fn each time a view has its data, after the first (the desktop host hears of each). */
export function onViewReady(fn: (view: string) => void) {
  viewListeners.push(fn)
}

/** Resolves once the first view has its data (body[data-ready="1"]). */
export function whenReady(): Promise<void> {
  if (firstReady) return Promise.resolve()
  return new Promise((resolve) => readyWaiters.push(resolve))
}

/**
 * Marks the current view as loaded: body[data-ready="1"] the first time any view has its data,
 * body[data-view] and body[data-view-ready="1"] for the view shown now.
 */
export function markReady(view: string) {
  const b = document.body.dataset
  if (b.view !== view) return
  if (b.viewReady !== '1') viewListeners.forEach((fn) => fn(view))
  b.viewReady = '1'
  if (!firstReady) {
    firstReady = true
    b.ready = '1'
    readyWaiters.forEach((fn) => fn())
    readyWaiters = []
  }
}

// null, not '': the root route's path is '' too, and its first render must mark the view.
let shown: string | null = null

/** Called on every render of the routed view; resets readiness only when the page changes. */
export function enterView(view: string, path: string) {
  if (shown === path) return
  shown = path
  const b = document.body.dataset
  b.view = view
  b.viewReady = '0'
}

// ---- loading

export interface Loaded<T> {
  data: T | undefined
  error: string
  loading: boolean
  reload: () => Promise<void>
  set: (fn: (d: T | undefined) => T | undefined) => void
}

/**
 * Loads data when deps change, keeps the last good value while reloading, drops stale answers.
 * A change applied with `set` (a live event) while a load is under way may be missing from its
 * answer, which was read before: then the data is loaded once more after it.
 */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[], view?: string): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState('')
  const [loading, setLoading] = useState(true)
  const gen = useRef(0)
  const inFlight = useRef(false)
  const dirty = useRef(false)
  const fnRef = useRef(fn)
  fnRef.current = fn
  const reload = useCallback(async () => {
    const g = ++gen.current
    inFlight.current = true
    dirty.current = false
    setLoading(true)
    try {
      const d = await fnRef.current()
      if (g !== gen.current) return
      setData(d)
      setError('')
    } catch (e) {
      if (g !== gen.current) return
      setError(errorText(e))
    } finally {
      if (g === gen.current) {
        inFlight.current = false
        setLoading(false)
        if (view) markReady(view)
        if (dirty.current) setTimeout(reload, 250)
      }
    }
  }, [])
  const set = useCallback((f: (d: T | undefined) => T | undefined) => {
    if (inFlight.current) dirty.current = true
    setData(f)
  }, [])
  useEffect(() => {
    setData(undefined)
    reload()
  }, deps)
  return { data, error, loading, reload, set }
}

// ---- states

export function StateBadge({ state, testid }: { state: TaskState | RunState | null | undefined; testid?: string }) {
  const s = stateName(state)
  return (
    <span
      class={`badge state-${s}`}
      data-testid={testid}
      data-state={s}
      style={{ background: stateColor(s), color: stateInk(s) }}
    >
      {s}
    </span>
  )
}

export function StateDot({ state, title, href }: { state: TaskState | RunState | null; title?: string; href?: string }) {
  const s = stateName(state)
  const dot = <span class={`dot state-${s}`} data-state={s} title={title ?? s} style={{ background: stateColor(s) }} />
  return href ? <a href={href} data-testid="run-dot" data-state={s} title={title ?? s} class="dot-link">{dot}</a> : dot
}

// ---- feedback

export function ErrorBox({ error, testid = 'error' }: { error: string; testid?: string }) {
  if (!error) return null
  return (
    <div class="error" role="alert" data-testid={testid}>
      {error}
    </div>
  )
}

export function Spinner() {
  return <span class="spinner" aria-label="loading" />
}

// ---- dialogs

export function Modal(props: {
  title: string
  onClose: () => void
  children: ComponentChildren
  testid?: string
  wide?: boolean
}) {
  useEffect(() => {
    const f = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose()
    window.addEventListener('keydown', f)
    return () => window.removeEventListener('keydown', f)
  }, [props.onClose])
  return (
    <div class="modal-back" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class={`modal${props.wide ? ' wide' : ''}`} role="dialog" aria-label={props.title} data-testid={props.testid}>
        <header>
          <h2>{props.title}</h2>
          <button class="icon" onClick={props.onClose} aria-label="close" data-testid="modal-close">
            ×
          </button>
        </header>
        {props.children}
      </div>
    </div>
  )
}

/** A button that runs an async action, shows it is busy, and reports the error next to it. */
export function ActionButton(props: {
  label: string
  run: () => Promise<unknown>
  testid?: string
  class?: string
  confirm?: string
  disabled?: boolean
  title?: string
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  return (
    <span class="action">
      <button
        class={props.class}
        data-testid={props.testid}
        disabled={busy || props.disabled}
        title={props.title}
        onClick={async () => {
          if (props.confirm && !window.confirm(props.confirm)) return
          setBusy(true)
          setError('')
          try {
            await props.run()
          } catch (e) {
            setError(errorText(e))
          } finally {
            setBusy(false)
          }
        }}
      >
        {props.label}
      </button>
      {error && (
        <span class="inline-error" role="alert" data-testid="action-error">
          {error}
        </span>
      )}
    </span>
  )
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>
}

// ---- code loaded on first use (CodeMirror, dagre), so the DAGs list starts fast

/** A component whose module is fetched the first time it is drawn. */
export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): FunctionComponent<P> {
  let loaded: ComponentType<P> | null = null
  let loading: Promise<void> | null = null
  let failed = ''
  return function Lazy(props: P) {
    const [, setTick] = useState(0)
    if (loaded) {
      const C = loaded
      return <C {...props} />
    }
    if (failed) return <ErrorBox error={failed} />
    loading ??= load().then(
      (c) => {
        loaded = c
      },
      (e) => {
        failed = `could not load this view: ${errorText(e)}`
      },
    )
    loading.then(() => setTick((t) => t + 1))
    return <Spinner />
  }
}

/** Pager moves a list's `offset` query parameter by pages of `page` items. */
export function Pager(props: { offset: number; page: number; total: number; prev: string; next: string }) {
  const { offset, page, total } = props
  if (total <= page) return null
  return (
    <div class="pager">
      <button disabled={offset === 0} onClick={() => setQuery('offset', offset - page > 0 ? String(offset - page) : null)}>
        ← {props.prev}
      </button>
      <span>
        {offset + 1}–{Math.min(offset + page, total)} of {total}
      </span>
      <button disabled={offset + page >= total} onClick={() => setQuery('offset', String(offset + page))}>
        {props.next} →
      </button>
    </div>
  )
}

/** The page for a route or tab that names nothing: what was asked, and the way home. */
export function NotFound({ what }: { what?: ComponentChildren }) {
  useEffect(() => {
    document.body.dataset.viewReady = '1'
  }, [])
  return (
    <div class="page not-found" data-testid="not-found">
      <h1>Not found</h1>
      <p>
        {what ?? (
          <>
            Nothing lives at <code>{location.hash}</code>.
          </>
        )}{' '}
        <a href="#/dags" data-testid="not-found-home">
          Back to the DAGs
        </a>
        .
      </p>
    </div>
  )
}
