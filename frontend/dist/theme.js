// The theme before the first paint, so a dark screen does not flash white. A file, not an inline
// script, so a strict Content-Security-Policy (script-src 'self') allows it.
try {
  var t = localStorage.getItem('wasmflow.theme')
  document.documentElement.dataset.theme =
    t === 'dark' || t === 'light' ? t : matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
} catch (e) {}
