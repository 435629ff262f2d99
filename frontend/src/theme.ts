// Dark and light themes: remembered in localStorage, defaulting to the system's preference.

const KEY = 'wasmflow.theme'
export type Theme = 'light' | 'dark'

export function initialTheme(): Theme {
  try {
    const t = localStorage.getItem(KEY)
    if (t === 'light' || t === 'dark') return t
  } catch {
    /* storage may be off in a webview */
  }
  return matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

export function applyTheme(t: Theme, remember: boolean) {
  document.documentElement.dataset.theme = t
  if (!remember) return
  try {
    localStorage.setItem(KEY, t)
  } catch {
    /* not remembered, still applied */
  }
}
