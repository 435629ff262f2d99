// The desktop window (Wails) serves these views through the same /api/v1 handler as the server,
// with a few extra endpoints that only exist there: native dialogs and the "window rendered"
// report. The views ask here, and fall back to browser behaviour outside the window.

import { request, type ModuleInfo, type Session } from './api'

let known: Promise<boolean> | undefined

export const desktop = {
  /** Whether these views run inside the desktop window (the session says so). */
  available(): Promise<boolean> {
    known ??= request<Session>('/auth/me', { quiet401: true })
      .then((s) => s.desktop === true)
      .catch(() => false)
    return known
  },

  /** Opens the native file dialog and imports the picked .wasm files; [] when cancelled. */
  async importModules(): Promise<ModuleInfo[]> {
    const r = await request<{ modules: ModuleInfo[] }>('/desktop/importModules', { method: 'POST' })
    return r.modules
  },

  /** Opens the native folder dialog and switches the DAGs folder; null when cancelled. */
  async pickDagsFolder(): Promise<string | null> {
    const r = await request<{ dags_folder: string | null }>('/desktop/dagsFolder', { method: 'POST' })
    return r.dags_folder
  },

  /** Tells the window whether the views hold unsaved work, so quitting asks first. */
  async setUnsaved(unsaved: boolean): Promise<void> {
    if (!(await desktop.available())) return
    await request<void>('/desktop/unsaved', { method: 'POST', body: { unsaved } })
  },

  /** Tells the window's host that the views rendered (the desktop smoke test waits for it). */
  async reportReady(view: string, liveEvents: boolean): Promise<void> {
    await request<void>('/desktop/ready', { method: 'POST', body: { view, live_events: liveEvents } })
  },
}
