// Dates and durations as the views show them: local time, seconds with sense.

const pad = (n: number) => String(n).padStart(2, '0')

/** "2024-05-01 13:04:05" in local time, or "" for null. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (isNaN(d.getTime())) return iso
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** "1h 02m", "3m 05s", "4.2s", "120ms". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return ''
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`
  const s = Math.round(seconds)
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`
  return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`
}

/** Seconds between two timestamps, the second defaulting to now (for running things). */
export function between(start: string | null | undefined, end?: string | null): number | null {
  if (!start) return null
  const a = Date.parse(start)
  const b = end ? Date.parse(end) : Date.now()
  if (isNaN(a) || isNaN(b)) return null
  return Math.max(0, (b - a) / 1000)
}

/** "in 3h" / "5m ago", for next runs. */
export function relative(iso: string | null | undefined): string {
  if (!iso) return ''
  const t = Date.parse(iso)
  if (isNaN(t)) return ''
  const d = (t - Date.now()) / 1000
  return d >= 0 ? `in ${duration(d)}` : `${duration(-d)} ago`
}

/** The schedule as a DAG file writes it, from Airflow's object: a CronExpression's value, a
 * TimeDelta as "@every 1h30m", null as None (a plain string is shown as it is). */
export function schedule(s: unknown): string {
  if (s === null || s === undefined || s === '') return 'None'
  if (typeof s === 'string') return s
  if (typeof s === 'object' && s && 'value' in s) return String((s as { value: unknown }).value)
  if (typeof s === 'object' && s && (s as { __type?: unknown }).__type === 'TimeDelta') {
    const t = s as { days: number; seconds: number; microseconds: number }
    return '@every ' + timeDelta(t.days * 86400 + t.seconds + t.microseconds / 1e6)
  }
  return JSON.stringify(s)
}

/** Seconds as a DAG file's duration: 1d2h3m4.5s, leaving out the zero parts. */
function timeDelta(secs: number): string {
  const parts: [number, string][] = [[86400, 'd'], [3600, 'h'], [60, 'm']]
  let out = ''
  for (const [n, unit] of parts) {
    if (secs >= n) {
      out += Math.floor(secs / n) + unit
      secs %= n
    }
  }
  return secs > 0 || out === '' ? out + Number(secs.toFixed(6)) + 's' : out
}

/** count says how many of a noun: "1 run", "3 runs", "0 task instances". */
export function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : noun + 's'}`
}
