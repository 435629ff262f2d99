// The DAG editor's state that is not the text itself: the server's validation of the text as
// it is typed, and what the task form offers (modules, operators, connections).

import { useEffect, useRef, useState } from 'preact/hooks'
import * as api from '../api'
import { setLeaveGuard } from '../router'
import { markReady } from '../ui'

const DEBOUNCE_MS = 250

/** The server's check of the editor's text, and which text and path it is for (`checked`). */
export function useValidation() {
  const [validation, setValidation] = useState<api.Validation | null>(null)
  const [validationError, setValidationError] = useState('')
  const [checked, setChecked] = useState<{ text: string; path: string } | null>(null)
  const gen = useRef(0)
  return { validation, setValidation, validationError, setValidationError, checked, setChecked, gen }
}

/**
 * Asks the server to check text (at path) 250 ms after the last change of either, or of key
 * (the file opened; null before one is), into v; an answer for an older text is dropped.
 */
export function useValidate(v: ReturnType<typeof useValidation>, key: number | null, text: string, path: string) {
  useEffect(() => {
    if (key === null) return
    const g = ++v.gen.current
    const t = setTimeout(async () => {
      try {
        const answer = await api.validateDagFile(text, path || undefined)
        if (g !== v.gen.current) return
        v.setValidation(answer)
        v.setValidationError('')
      } catch (e) {
        if (g === v.gen.current) v.setValidationError(api.errorText(e))
      } finally {
        if (g === v.gen.current) {
          v.setChecked({ text, path })
          markReady('author')
        }
      }
    }, DEBOUNCE_MS)
    return () => clearTimeout(t)
  }, [text, path, key])
}

const folderOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '')

/**
 * What the task form offers for the file opened (key; null before one is) at path (null while
 * the path is not a valid one): the modules with refs relative to the file's folder (read
 * again when it changes, or by reloadModules after an import), the operators, and the
 * connections for their conn_id fields (read again with each file opened: one added meanwhile
 * in another tab shows up).
 */
export function useAuthoringLists(key: number | null, path: string | null) {
  const [modules, setModules] = useState<api.ModuleInfo[] | undefined>(undefined)
  const [modulesError, setModulesError] = useState('')
  const [operators, setOperators] = useState<api.Operator[] | undefined>(undefined)
  const [operatorsError, setOperatorsError] = useState('')
  const [connections, setConnections] = useState<api.Connection[] | undefined>(undefined)
  const [connectionsError, setConnectionsError] = useState('')

  const reloadModules = async () => {
    try {
      const m = await api.modules(path ?? 'new_dag.yaml')
      setModules(m)
      setModulesError('')
      return m
    } catch (e) {
      setModulesError(`modules: ${api.errorText(e)}`)
      return modules ?? []
    }
  }
  useEffect(() => {
    if (key !== null) reloadModules()
  }, [key, path === null ? '' : folderOf(path)])
  useEffect(() => {
    api.operators().then(
      (o) => setOperators(o),
      (e) => setOperatorsError(`operators: ${api.errorText(e)}`),
    )
  }, [])
  useEffect(() => {
    if (key === null) return
    api.connections().then(
      (r) => {
        setConnections(r.connections ?? [])
        setConnectionsError('')
      },
      (e) => setConnectionsError(`connections: ${api.errorText(e)}`),
    )
  }, [key])
  return { modules, modulesError, reloadModules, operators, operatorsError, connections, connectionsError }
}

/** The editor's latest state, for window listeners registered once. */
export interface EditorRef {
  path: string
  isNew: boolean
  dirty: boolean
  canSave: boolean
  save: () => void
}

/**
 * Ctrl+S / Cmd+S saves when it can; leaving the page (another route, closing the tab) with
 * unsaved changes asks first. cur holds the latest state.
 */
export function useSaveKeyAndLeaveGuard(cur: { current: EditorRef }) {
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 's') {
        e.preventDefault()
        if (cur.current.canSave) cur.current.save()
      }
    }
    const unload = (e: BeforeUnloadEvent) => {
      if (!cur.current.dirty) return
      e.preventDefault()
      e.returnValue = ''
    }
    window.addEventListener('keydown', key)
    window.addEventListener('beforeunload', unload)
    const unguard = setLeaveGuard((to) => {
      if (!cur.current.dirty || to.parts[0] === 'login') return true
      if (to.parts[0] === 'author' && to.query.get('file') === cur.current.path) return true
      return window.confirm(`${cur.current.path} has unsaved changes. Leave without saving them?`)
    })
    return () => {
      window.removeEventListener('keydown', key)
      window.removeEventListener('beforeunload', unload)
      unguard()
    }
  }, [])
}
