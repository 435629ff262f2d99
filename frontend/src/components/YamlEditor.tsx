// A YAML editor on CodeMirror 6: read-only in the Code tab, editable in the DAG editor (views/
// Author.tsx). `readOnly` can flip at run time, `onChange` reports edits, and `diagnostics` (file
// line and column, as the parser's validation gives them) show inline with gutter markers.
//
// For tests and for the authoring form, the editor's element carries its EditorView as `cmView`
// (`document.querySelector('[data-testid=author-editor]').cmView`), and `onReady` hands it over.

import { useEffect, useRef } from 'preact/hooks'
import { Compartment, EditorState, type Extension } from '@codemirror/state'
import {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from '@codemirror/view'
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands'
import { bracketMatching, foldGutter, foldKeymap, HighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language'
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint'
import { yaml } from '@codemirror/lang-yaml'
import { tags as t } from '@lezer/highlight'

export interface YamlDiagnostic {
  /** 1-based line, as wasmflow's validation reports it. */
  line: number
  /** 1-based column; 0 or absent marks the whole line. */
  column?: number
  message: string
  severity?: 'error' | 'warning' | 'info'
}

// Colours come from CSS variables, so the editor follows the app's light and dark themes.
const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.bool, t.null], color: 'var(--cm-keyword)' },
  { tag: [t.propertyName, t.definition(t.propertyName)], color: 'var(--cm-property)' },
  { tag: [t.string, t.special(t.string)], color: 'var(--cm-string)' },
  { tag: [t.number], color: 'var(--cm-number)' },
  { tag: [t.comment, t.lineComment], color: 'var(--cm-comment)', fontStyle: 'italic' },
  { tag: [t.meta, t.labelName, t.typeName], color: 'var(--cm-meta)' },
  { tag: [t.punctuation, t.separator, t.squareBracket, t.brace], color: 'var(--muted)' },
])

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '13px', backgroundColor: 'var(--bg-code)', color: 'var(--fg)' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.5' },
  '.cm-gutters': { backgroundColor: 'var(--bg-code)', color: 'var(--muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: 'var(--hover)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--hover)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': { backgroundColor: 'var(--selection) !important' },
  '.cm-cursor': { borderLeftColor: 'var(--fg)' },
  '.cm-tooltip': { backgroundColor: 'var(--bg-panel)', color: 'var(--fg)', border: '1px solid var(--border)' },
  '.cm-foldPlaceholder': { backgroundColor: 'var(--hover)', color: 'var(--muted)', border: 'none' },
})

/** Diagnostics for CodeMirror from line/column positions; lines past the end are clamped. */
export function toDiagnostics(state: EditorState, list: YamlDiagnostic[]): Diagnostic[] {
  const doc = state.doc
  return list.map((d) => {
    const line = doc.line(Math.min(Math.max(1, d.line), doc.lines))
    const col = d.column && d.column > 0 ? Math.min(d.column - 1, line.length) : 0
    const from = line.from + col
    const to = d.column && d.column > 0 ? Math.min(line.to, from + Math.max(1, wordLength(line.text, col))) : line.to
    return { from, to: Math.max(to, from), message: d.message, severity: d.severity ?? 'error' }
  })
}

function wordLength(text: string, at: number): number {
  const m = /^[^\s:,\]}]+/.exec(text.slice(at))
  return m ? m[0].length : 1
}

export function YamlEditor(props: {
  value: string
  readOnly?: boolean
  onChange?: (text: string) => void
  diagnostics?: YamlDiagnostic[]
  testid?: string
  /** The editor's accessible name. */
  label?: string
  /** Called once the editor is in the page, with its view (to move the cursor, or edit). */
  onReady?: (view: EditorView) => void
}) {
  const host = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const ro = useRef(new Compartment())
  const onChange = useRef(props.onChange)
  onChange.current = props.onChange
  // Texts this editor reported through onChange, newest last. When the parent hands one back as
  // `value` it is an echo, possibly a keystroke behind the document: never reset the document to it.
  const emitted = useRef<string[]>([])

  useEffect(() => {
    const extensions: Extension[] = [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      history(),
      foldGutter(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      highlightActiveLine(),
      syntaxHighlighting(highlight),
      keymap.of([...defaultKeymap, ...historyKeymap, ...foldKeymap, indentWithTab]),
      yaml(),
      lintGutter(),
      theme,
      EditorView.contentAttributes.of({ 'aria-label': props.label ?? 'DAG file' }),
      ro.current.of(readOnlyExt(props.readOnly ?? true)),
      EditorView.updateListener.of((u) => {
        if (!u.docChanged || !onChange.current) return
        const text = u.state.doc.toString()
        emitted.current.push(text)
        if (emitted.current.length > 64) emitted.current.shift()
        onChange.current(text)
      }),
    ]
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({ doc: props.value, extensions }),
    })
    view.current = v
    ;(host.current as EditorHost).cmView = v
    props.onReady?.(v)
    return () => {
      v.destroy()
      view.current = null
      if (host.current) delete (host.current as EditorHost).cmView
    }
  }, [])

  // A new text from outside (another file, a reload) replaces the document; our own echoes do not.
  useEffect(() => {
    const v = view.current
    if (!v || v.state.doc.toString() === props.value || emitted.current.includes(props.value)) return
    emitted.current = []
    replaceText(v, props.value)
  }, [props.value])

  useEffect(() => {
    view.current?.dispatch({ effects: ro.current.reconfigure(readOnlyExt(props.readOnly ?? true)) })
  }, [props.readOnly])

  useEffect(() => {
    const v = view.current
    if (!v) return
    v.dispatch(setDiagnostics(v.state, toDiagnostics(v.state, props.diagnostics ?? [])))
  }, [props.diagnostics, props.value])

  return <div class="editor" ref={host} data-testid={props.testid ?? 'code-editor'} data-readonly={String(props.readOnly ?? true)} />
}

/** The editor's element, with its view for tests. */
export type EditorHost = HTMLElement & { cmView?: EditorView }

/**
 * Replaces the document with `text` as one change covering only what differs (common start and
 * end kept), so the cursor, the scroll position and undo stay sensible.
 */
export function replaceText(v: EditorView, text: string) {
  const old = v.state.doc.toString()
  if (old === text) return
  let start = 0
  const max = Math.min(old.length, text.length)
  while (start < max && old.charCodeAt(start) === text.charCodeAt(start)) start++
  let end = 0
  while (end < max - start && old.charCodeAt(old.length - 1 - end) === text.charCodeAt(text.length - 1 - end)) end++
  v.dispatch({ changes: { from: start, to: old.length - end, insert: text.slice(start, text.length - end) } })
}

function readOnlyExt(on: boolean): Extension {
  return [EditorState.readOnly.of(on), EditorView.editable.of(!on)]
}
