// The trigger form's model: which input each DAG param gets from its JSON Schema (Airflow's
// Param, as GET /dags/{id}/details shows it), the conf it starts from, and the server's
// refusal split per param. No DOM here, so `npm test` runs it under node.

/** A param as Airflow's API shows it (Param.dump()). */
export interface ParamSpec {
  __class?: string
  value: unknown
  description: string | null
  schema: Record<string, unknown>
}

export type FieldKind = 'boolean' | 'integer' | 'number' | 'enum' | 'string' | 'json'

/** The schema's type, the first but null of a list (["integer", "null"]). */
function schemaType(schema: Record<string, unknown>): string | undefined {
  const t = schema.type
  if (Array.isArray(t)) return t.find((x) => x !== 'null') as string | undefined
  return typeof t === 'string' ? t : undefined
}

/** The input a param gets: from its schema, or for a plain value from the value's type. */
export function fieldKind(p: ParamSpec): FieldKind {
  const s = p.schema ?? {}
  if (Array.isArray(s.enum)) return 'enum'
  switch (schemaType(s)) {
    case 'boolean':
      return 'boolean'
    case 'integer':
      return 'integer'
    case 'number':
      return 'number'
    case 'string':
      return 'string'
    case 'object':
    case 'array':
      return 'json'
  }
  switch (typeof p.value) {
    case 'boolean':
      return 'boolean'
    case 'number':
      return 'number'
    case 'string':
      return 'string'
    case 'undefined':
      return 'string'
  }
  return p.value === null && schemaType(s) === undefined ? 'string' : 'json'
}

/** The conf the form starts from: every param's default (one without a default is left out). */
export function initialConf(params: Record<string, ParamSpec>): Record<string, unknown> {
  const conf: Record<string, unknown> = {}
  for (const [k, p] of Object.entries(params)) {
    if (p.value !== null && p.value !== undefined) conf[k] = p.value
  }
  return conf
}

/** A number field's text as the conf's value: undefined (left out) when empty. */
export function numberValue(text: string): unknown {
  if (text.trim() === '') return undefined
  const n = Number(text)
  return isNaN(n) ? text : n
}

/** A JSON field's text as a value, or why it is not JSON. */
export function jsonValue(text: string): { value?: unknown; error?: string } {
  if (text.trim() === '') return { value: undefined }
  try {
    return { value: JSON.parse(text) }
  } catch (e) {
    return { error: `not valid JSON: ${(e as Error).message}` }
  }
}

/** The server's refusal (its problem's `errors`), as messages per param. */
export function issuesByParam(body: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  const errors = body.errors
  if (!Array.isArray(errors)) return out
  for (const e of errors) {
    if (!e || typeof e !== 'object') continue
    const { param, path, message } = e as { param?: string; path?: string; message?: string }
    if (!param || !message) continue
    const top = `/${param.replace(/~/g, '~0').replace(/\//g, '~1')}`
    const where = path && path !== top ? `${path.slice(top.length)}: ` : ''
    ;(out[param] ??= []).push(where + message)
  }
  return out
}
