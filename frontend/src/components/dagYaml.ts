// The DAG file as the authoring form sees it: read the tasks out of the YAML text, and edit the
// text through the `yaml` Document API so the editor and the form never disagree.
//
// An edit is made on a parsed Document (setIn / deleteIn / addIn keep comments), printed with
// toString, and then only the tasks (and top-level scalars) that changed are spliced back into
// the original text: everything the edit did not touch stays byte for byte as the user wrote it
// (comment alignment, quoting, indentation), the edited task is as `yaml` prints it. The splice
// is checked (the result must parse to the same data); if it cannot be made, the whole printed
// document is used.

import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type ToStringOptions,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml'

/** Airflow's trigger rules, in Airflow's order. */
export const TRIGGER_RULES = [
  'all_success',
  'all_failed',
  'all_done',
  'all_skipped',
  'one_success',
  'one_failed',
  'one_done',
  'none_failed',
  'none_failed_min_one_success',
  'none_skipped',
  'always',
] as const

/** A task key's value as the form edits it: text, a list of texts, or null for another shape. */
export type FieldValue = string | string[] | null

export interface FormTask {
  index: number
  id: string
  module: string | null
  /** the built-in operator it names (`operator: http`), null for none */
  operator: string | null
  /** every key of the task as the form can edit it (an operator's fields among them) */
  values: Record<string, FieldValue>
  /** 1-based first and last line of each key (with its value), for the problems at them */
  keyLines: Record<string, [number, number]>
  upstream: string[]
  triggerRule: string | null
  /** the retries value as written, '' when absent */
  retries: string
  /** the sensor expression, true for a module sensor (`sensor: true`), null when not a sensor */
  sensor: string | true | null
  branch: boolean
  /** false when the item is not a mapping (the form cannot edit it) */
  editable: boolean
  /** 1-based first and last line of the task in the file */
  lines: [number, number]
  /** 1-based lines of the sensor expression, for its problems */
  sensorLines: [number, number] | null
}

export interface DagModel {
  /** false when the text is not well-formed YAML (the form is read-only then) */
  ok: boolean
  syntaxError: { line: number; message: string } | null
  dagId: string | null
  tasks: FormTask[]
  /** whether the form can add and remove tasks (tasks is absent or a block list) */
  listEditable: boolean
}

type Doc = Document.Parsed

// ---- reading

export function readDag(src: string): DagModel {
  const lc = new LineCounter()
  const doc = parseDocument(src, { lineCounter: lc })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    return {
      ok: false,
      syntaxError: { line: e.linePos?.[0].line ?? 1, message: e.message.split('\n')[0] },
      dagId: null,
      tasks: [],
      listEditable: false,
    }
  }
  const line = (offset: number) => lc.linePos(offset).line
  const root = doc.contents
  const dagId = isMap(root) ? str(root.get('dag_id', true)) : null
  const seq = isMap(root) ? root.get('tasks', true) : undefined
  const tasks: FormTask[] = []
  if (isSeq(seq)) {
    const ends = regions(src, seq as YAMLSeq<Node>)
    seq.items.forEach((item, index) => {
      const n = item as Node
      const lines: [number, number] = n.range && ends ? [line(n.range[0]), line(Math.max(n.range[0], ends[index][1] - 1))] : [0, 0]
      if (!isMap(n)) {
        tasks.push({ index, id: '', module: null, operator: null, values: {}, keyLines: {}, upstream: [], triggerRule: null, retries: '', sensor: null, branch: false, editable: false, lines, sensorLines: null })
        return
      }
      const m = n as YAMLMap<unknown, Node>
      const sensorNode = m.get('sensor', true)
      const sensorVal: unknown = isScalar(sensorNode) ? sensorNode.value : null
      const retries = m.get('retries', true)
      const values: Record<string, FieldValue> = {}
      const keyLines: Record<string, [number, number]> = {}
      for (const p of m.items) {
        const k = str(p.key)
        if (k === null) continue
        values[k] = fieldValue(p.value)
        const from = (p.key as Node | null)?.range?.[0]
        const to = p.value?.range?.[1] ?? (p.key as Node | null)?.range?.[1]
        if (from !== undefined && to !== undefined) keyLines[k] = [line(from), line(Math.max(from, to - 1))]
      }
      tasks.push({
        index,
        id: str(m.get('id', true)) ?? '',
        module: str(m.get('module', true)),
        operator: str(m.get('operator', true)),
        values,
        keyLines,
        upstream: idList(m.get('upstream', true)),
        triggerRule: str(m.get('trigger_rule', true)),
        retries: isScalar(retries) && retries.value !== null ? String(retries.source ?? retries.value) : '',
        sensor: sensorVal === true ? true : typeof sensorVal === 'string' ? sensorVal : null,
        branch: m.has('branch'),
        editable: true,
        lines,
        sensorLines: sensorNode?.range ? [line(sensorNode.range[0]), line(Math.max(sensorNode.range[0], sensorNode.range[1] - 1))] : null,
      })
    })
  }
  return {
    ok: true,
    syntaxError: null,
    dagId,
    tasks,
    listEditable: (root === null || isMap(root)) && (seq === undefined || seq === null || (isSeq(seq) && !seq.flow)),
  }
}

function str(n: unknown): string | null {
  if (!isScalar(n) || n.value === null || n.value === undefined) return null
  return typeof n.value === 'object' ? null : String(n.value)
}

function fieldValue(n: unknown): FieldValue {
  if (n === null || n === undefined) return ''
  if (isScalar(n)) return n.value === null || n.value === undefined ? '' : typeof n.value === 'object' ? null : String(n.value)
  if (isSeq(n) && n.items.every((x) => isScalar(x) && (x.value === null || typeof x.value !== 'object'))) {
    return n.items.map((x) => str(x) ?? '')
  }
  return null
}

function idList(n: unknown): string[] {
  if (isSeq(n)) return n.items.map((x) => str(x)).filter((x): x is string => x !== null)
  const s = str(n)
  return s === null ? [] : [s]
}

// ---- editing

/** An edit of the parsed document; it may say which task it removed, so the splice can follow. */
export type Edit = (doc: Doc) => { removed?: number } | void

/** The text after the edit, or null when the text is not well-formed YAML. */
export function applyEdit(src: string, edit: Edit): string | null {
  const before = parseDocument(src)
  if (before.errors.length > 0) return null
  const doc = parseDocument(src)
  const hint = edit(doc) || {}
  const printed = doc.toString(printOptions(src))
  const want = JSON.stringify(doc.toJS())
  if (printed === src) return src
  try {
    const spliced = splice(src, before, printed, hint.removed)
    if (spliced !== null) {
      const check = parseDocument(spliced)
      if (check.errors.length === 0 && JSON.stringify(check.toJS()) === want) return spliced
    }
  } catch {
    /* fall back to the printed document */
  }
  return printed
}

const taskPath = (i: number, key?: string) => (key === undefined ? ['tasks', i] : ['tasks', i, key])

/** Sets a task's key, or removes it for null / ''. */
export const setTaskField =
  (i: number, key: string, value: string | number | boolean | null): Edit =>
  (doc) => {
    if (value === null || value === '') doc.deleteIn(taskPath(i, key))
    else doc.setIn(taskPath(i, key), value)
  }

/**
 * Sets a task's text field, or removes it for ''. A value with a line break is written as a
 * literal block (`code: |`), so code and SQL read in the file as typed; an existing value keeps
 * its node (and so its comments and style, unless it needs a block now).
 */
export const setTaskText =
  (i: number, key: string, value: string): Edit =>
  (doc) => {
    if (value === '') {
      doc.deleteIn(taskPath(i, key))
      return
    }
    const cur = doc.getIn(taskPath(i, key), true)
    if (isScalar(cur)) {
      cur.value = value
      if (value.includes('\n')) cur.type = 'BLOCK_LITERAL'
      return
    }
    const n = doc.createNode(value)
    if (value.includes('\n')) n.type = 'BLOCK_LITERAL'
    doc.setIn(taskPath(i, key), n)
  }

/**
 * Sets a task's list of texts (sql's parameters, allow_hosts), element by element so the
 * elements kept keep their quoting; an empty list removes the key, a new list is a flow list.
 */
export const setTaskList =
  (i: number, key: string, items: string[]): Edit =>
  (doc) => {
    const cur = doc.getIn(taskPath(i, key), true)
    if (items.length === 0) {
      doc.deleteIn(taskPath(i, key))
      return
    }
    if (isSeq(cur)) {
      cur.items = items.map((v, k) => {
        const it = cur.items[k]
        if (isScalar(it)) {
          if (str(it) !== v) it.value = v
          return it
        }
        return doc.createNode(v)
      })
      return
    }
    doc.setIn(taskPath(i, key), doc.createNode(items, { flow: true }))
  }

/**
 * Makes task i run a built-in operator or a module (exactly one of operator, module; null for
 * neither yet). The new key takes the old one's place in the mapping (after `id` when there was
 * none); `drop` are the keys of the previous operator the new one does not have; `defaults` are
 * set where the task has no such key (a required field with a single choice, e.g. language).
 * `sensor: true` goes with the module: an operator task may not have it.
 */
export const setTaskRunner =
  (i: number, runner: { operator: string } | { module: string | null }, drop: string[] = [], defaults: Record<string, string> = {}): Edit =>
  (doc) => {
    const m = doc.getIn(taskPath(i), true)
    if (!isMap(m)) return
    const [key, value, other] = 'operator' in runner ? ['operator', runner.operator, 'module'] : ['module', runner.module, 'operator']
    for (const k of drop) m.delete(k)
    if ('operator' in runner && isScalar(m.get('sensor', true)) && (m.get('sensor', true) as { value: unknown }).value === true) m.delete('sensor')
    const items = m.items as { key: unknown; value: unknown }[]
    const at = items.findIndex((p) => str(p.key) === other)
    if (at >= 0) items.splice(at, 1)
    if (value === null) m.delete(key)
    else if (m.has(key)) m.set(key, value)
    else {
      const idAt = items.findIndex((p) => str(p.key) === 'id')
      items.splice(at >= 0 ? at : idAt + 1, 0, doc.createPair(key, value))
    }
    for (const [k, v] of Object.entries(defaults)) if (!m.has(k)) m.set(k, v)
  }

/** Sets a task's upstream ids; an existing list keeps its style and comments, none removes the key. */
export const setUpstream =
  (i: number, ids: string[]): Edit =>
  (doc) => writeUpstream(doc, i, ids)

function writeUpstream(doc: Doc, i: number, ids: string[]) {
  const cur = doc.getIn(taskPath(i, 'upstream'), true)
  if (ids.length === 0) {
    doc.deleteIn(taskPath(i, 'upstream'))
    return
  }
  if (isSeq(cur)) {
    const keep = new Map<string, unknown>()
    for (const it of cur.items) {
      const s = str(it)
      if (s !== null && !keep.has(s)) keep.set(s, it)
    }
    cur.items = ids.map((id) => keep.get(id) ?? doc.createNode(id))
    return
  }
  doc.setIn(taskPath(i, 'upstream'), doc.createNode(ids, { flow: true }))
}

/** Where a task id is named as an upstream: [task index, position in its list (-1: a lone scalar)]. */
export type Ref = [number, number]

export function refsTo(model: DagModel, id: string): Ref[] {
  const out: Ref[] = []
  for (const t of model.tasks) t.upstream.forEach((u, k) => u === id && out.push([t.index, k]))
  return out
}

/**
 * Renames task i from `from` to `to` and the upstream references recorded when the rename began,
 * by position: typing an id that briefly equals another task's id must not capture its references.
 */
export const renameTask =
  (i: number, from: string, to: string, refs: Ref[]): Edit =>
  (doc) => {
    doc.setIn(taskPath(i, 'id'), to)
    for (const [j, k] of refs) {
      const up = doc.getIn(taskPath(j, 'upstream'), true)
      if (isSeq(up)) {
        const it = up.items[k]
        if (str(it) === from) {
          if (isScalar(it)) it.value = to
          else up.items[k] = doc.createNode(to)
        }
      } else if (isScalar(up) && str(up) === from) up.value = to
    }
  }

/** Appends a task. */
export const addTask =
  (id: string, module: string | null): Edit =>
  (doc) => {
    const t: Record<string, string> = { id }
    if (module) t.module = module
    if (isSeq(doc.get('tasks', true))) doc.addIn(['tasks'], doc.createNode(t))
    else doc.set('tasks', doc.createNode([t]))
  }

/** Removes task i and every upstream reference to it. */
export const removeTask =
  (i: number): Edit =>
  (doc) => {
    const id = str(doc.getIn(taskPath(i, 'id'), true))
    const seq = doc.get('tasks', true)
    if (!isSeq(seq)) return
    seq.items.forEach((_, j) => {
      if (j === i || id === null) return
      const ids = idList(doc.getIn(taskPath(j, 'upstream'), true))
      if (ids.includes(id)) writeUpstream(doc, j, ids.filter((u) => u !== id))
    })
    doc.deleteIn(taskPath(i))
    return { removed: i }
  }

/** Sets the top-level dag_id. */
export const setDagId =
  (id: string): Edit =>
  (doc) => {
    doc.set('dag_id', id)
  }

/** A task id not used yet: task_1, task_2, ... */
export function freshId(model: DagModel, base = 'task'): string {
  const used = new Set(model.tasks.map((t) => t.id))
  for (let n = model.tasks.length + 1; ; n++) if (!used.has(`${base}_${n}`)) return `${base}_${n}`
}

// ---- printing in the file's own style

function printOptions(src: string): ToStringOptions {
  return {
    lineWidth: 0,
    indent: detectIndent(src),
    indentSeq: detectIndentSeq(src),
    // templates ({{ ds }}) are not flow mappings: their spaces say nothing of the file's style
    flowCollectionPadding: /[[{] +[^\s\]}#]/.test(src.replace(/#.*$/gm, '').replace(/\{\{.*?\}\}/g, '')),
  }
}

function detectIndent(src: string): number {
  for (const m of src.matchAll(/^[^\s#-][^\n]*:[ \t]*(?:#[^\n]*)?\n((?:[ \t]*(?:#[^\n]*)?\n)*)( +)\S/gm)) {
    const n = m[2].length
    if (n >= 2 && n <= 8) return n
  }
  return 2
}

function detectIndentSeq(src: string): boolean {
  const m = /^( *)[\w.-]+:[ \t]*(?:#[^\n]*)?\n(?:[ \t]*(?:#[^\n]*)?\n)*( *)- /m.exec(src)
  return m ? m[2].length > m[1].length : true
}

// ---- splicing

type Op = [from: number, to: number, text: string]

function splice(src: string, a: Doc, printed: string, removed?: number): string | null {
  const c = parseDocument(printed)
  if (c.errors.length > 0 || !isMap(a.contents) || !isMap(c.contents)) return null
  const ap = (a.contents as YAMLMap<Node, Node>).items
  const cp = (c.contents as YAMLMap<Node, Node>).items
  const ops: Op[] = []
  const ak = ap.map((p) => str(p.key))
  const ck = cp.map((p) => str(p.key))
  const added = ck.length === ak.length + 1 && ck.slice(0, -1).every((k, i) => k === ak[i]) ? cp[cp.length - 1] : null
  if (!added && (ak.length !== ck.length || ak.some((k, i) => k !== ck[i]))) return null
  ap.forEach((pa, i) => {
    const pc = cp[i]
    if (same(pa.value, pc.value)) return
    if (ak[i] === 'tasks' && isSeq(pa.value) && isSeq(pc.value)) {
      const t = spliceTasks(src, pa.value as YAMLSeq<Node>, printed, pc.value as YAMLSeq<Node>, removed)
      if (t === null) throw new Error('tasks')
      ops.push(...t)
    } else if (isScalar(pa.value) && isScalar(pc.value) && pa.value.range && pc.value.range) {
      ops.push([pa.value.range[0], pa.value.range[1], printed.slice(pc.value.range[0], pc.value.range[1])])
    } else throw new Error('not a scalar')
  })
  if (added) {
    // a new top-level key (tasks in an empty file): as printed, at the end
    const r = added.key && (added.key as Node).range
    if (!r) return null
    const text = printed.slice(lineStart(printed, r[0])).replace(/\s+$/, '')
    const end = src.replace(/\s+$/, '').length
    ops.push([end, end, `\n${text}`])
  }
  return apply(src, ops)
}

function spliceTasks(src: string, a: YAMLSeq<Node>, printed: string, c: YAMLSeq<Node>, removed?: number): Op[] | null {
  if (a.flow || c.flow) return null
  const ra = regions(src, a)
  const rc = regions(printed, c)
  if (!ra || !rc) return null
  const na = a.items.length
  const nc = c.items.length
  const ops: Op[] = []
  // which item of c stands for item j of a
  let map: (j: number) => number
  if (nc === na) map = (j) => j
  else if (nc === na + 1) {
    map = (j) => j
    if (na === 0) return null
    const last = a.items[na - 1]
    const prefix = src.slice(lineStart(src, last.range![0]), last.range![0])
    if (!/^\s*-\s+$/.test(prefix)) return null
    const text = reindent(printed, c.items[na], rc[na], prefix.length)
    ops.push([ra[na - 1][1], ra[na - 1][1], `\n${prefix}${text}`])
  } else if (nc === na - 1 && removed !== undefined && removed < na) {
    map = (j) => (j < removed ? j : j - 1)
    const it = a.items[removed]
    const from = lineStart(src, it.range![0])
    if (!/^\s*-\s+$/.test(src.slice(from, it.range![0]))) return null
    const to = ra[removed][1] < src.length && src[ra[removed][1]] === '\n' ? ra[removed][1] + 1 : ra[removed][1]
    ops.push([from, to, ''])
  } else return null
  for (let j = 0; j < na; j++) {
    if (j === removed) continue
    const k = map(j)
    if (same(a.items[j], c.items[k])) continue
    const col = a.items[j].range![0] - lineStart(src, a.items[j].range![0])
    ops.push([ra[j][0], ra[j][1], reindent(printed, c.items[k], rc[k], col)])
  }
  return ops
}

/**
 * Each item's text: from its first character to the end of its last line that holds data (not
 * blank, not only a comment). Comment lines after an item stay where they are.
 */
function regions(text: string, seq: YAMLSeq<Node>): [number, number][] | null {
  const out: [number, number][] = []
  const items = seq.items
  for (let i = 0; i < items.length; i++) {
    const r = items[i].range
    if (!r) return null
    const limit = i + 1 < items.length ? (items[i + 1].range ? lineStart(text, items[i + 1].range![0]) : -1) : r[1]
    if (limit < 0) return null
    let end = Math.max(r[0], Math.min(limit, text.length))
    // back over trailing blank and comment-only lines
    while (end > r[0]) {
      const lineEnd = text[end - 1] === '\n' ? end - 1 : end
      const ls = lineStart(text, lineEnd)
      const body = text.slice(Math.max(ls, r[0]), lineEnd).trim()
      if (body !== '' && !body.startsWith('#')) {
        end = lineEnd
        break
      }
      end = Math.min(ls, lineEnd)
    }
    out.push([r[0], Math.max(r[0], end)])
  }
  return out
}

/** An item's printed text, its continuation lines moved so its first line sits at column `col`. */
function reindent(printed: string, item: Node, region: [number, number], col: number): string {
  const from = item.range![0]
  const delta = col - (from - lineStart(printed, from))
  const lines = printed.slice(region[0], region[1]).split('\n')
  return lines
    .map((l, i) => {
      if (i === 0 || l.trim() === '' || delta === 0) return l
      if (delta > 0) return ' '.repeat(delta) + l
      const lead = /^ */.exec(l)![0].length
      return l.slice(Math.min(lead, -delta))
    })
    .join('\n')
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1
}

function same(x: unknown, y: unknown): boolean {
  const js = (n: unknown) => JSON.stringify(n && typeof n === 'object' && 'toJSON' in n ? (n as { toJSON: () => unknown }).toJSON() : n)
  return js(x) === js(y)
}

function apply(src: string, ops: Op[]): string | null {
  ops.sort((p, q) => q[0] - p[0] || q[1] - p[1])
  let out = src
  let limit = Infinity
  for (const [from, to, text] of ops) {
    if (to > limit) return null // overlapping changes
    out = out.slice(0, from) + text + out.slice(to)
    limit = from
  }
  return out
}
