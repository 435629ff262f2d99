// Hash routing (#/dags, #/dags/:id/grid, ...): works at / of a server, from a file and in the
// desktop webview alike, because the document never changes.

import { useEffect, useState } from 'preact/hooks'

export interface Route {
  /** Path segments after '#/', decoded. */
  parts: string[]
  query: URLSearchParams
  /** The raw hash, for "come back here after login". */
  hash: string
}

export function parse(hash: string): Route {
  const h = hash.replace(/^#\/?/, '')
  const [path, qs = ''] = splitOnce(h, '?')
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p)
      } catch {
        return p
      }
    })
  return { parts, query: new URLSearchParams(qs), hash: hash || '#/' }
}

function splitOnce(s: string, sep: string): [string, string?] {
  const i = s.indexOf(sep)
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)]
}

/** Builds a hash link from segments (escaped) and an optional query. */
export function href(parts: (string | number)[], query?: Record<string, string | number | undefined | null>): string {
  const path = parts.map((p) => encodeURIComponent(String(p))).join('/')
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return `#/${path}${s ? `?${s}` : ''}`
}

// ---- leaving a page with unsaved work

let guard: ((to: Route) => boolean) | null = null

/**
 * While set, every in-app navigation asks `allow` first (the editor's "leave without saving?");
 * a refused link or Back puts the address back. Returns the function that removes the guard.
 */
export function setLeaveGuard(allow: (to: Route) => boolean): () => void {
  guard = allow
  return () => {
    if (guard === allow) guard = null
  }
}

// Registered before any view's listener, so a refused change never reaches them.
window.addEventListener('hashchange', (e) => {
  if (!guard || !e.isTrusted || !e.oldURL) return
  if (guard(parse(location.hash))) return
  e.stopImmediatePropagation()
  history.replaceState(null, '', e.oldURL)
})

export function navigate(to: string, replace = false) {
  if (guard && !guard(parse(to))) return
  if (replace) history.replaceState(null, '', to)
  else location.hash = to
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'))
}

/** Sets one query parameter of the current route without adding a history entry. */
export function setQuery(key: string, value: string | null) {
  setQueries({ [key]: value })
}

/** Sets query parameters of the current route at once (one hashchange, no history entry). */
export function setQueries(values: Record<string, string | null>) {
  const r = parse(location.hash)
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === '') r.query.delete(key)
    else r.query.set(key, value)
  }
  const q = Object.fromEntries(r.query.entries())
  navigate(href(r.parts, q), true)
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash))
  useEffect(() => {
    const f = () => setRoute(parse(location.hash))
    window.addEventListener('hashchange', f)
    return () => window.removeEventListener('hashchange', f)
  }, [])
  return route
}
