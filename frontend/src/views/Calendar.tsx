// The calendar (Airflow's): a year of days, one square each, coloured by the runs of the day —
// failed, running, success, or planned for runs the schedule will make — a day's counts on
// hover, and a click opens the grid at that day.

import { useEffect } from 'preact/hooks'
import * as api from '../api'
import { coalesce, on } from '../events'
import { count } from '../format'
import { href, setQuery, type Route } from '../router'
import { stateColor } from '../states'
import { ErrorBox, Spinner, useLoad } from '../ui'

const CELL = 14 // px per day square, its gap included
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const ORDER: api.RunState[] = ['failed', 'running', 'queued', 'success']

/** A day's colour: its most pressing run's state, or planned when it only has runs to come. */
export function dayState(d: api.CalendarDay | undefined): string {
  if (!d) return 'none'
  const s = ORDER.find((st) => (d.states[st] ?? 0) > 0)
  return s ?? (d.planned > 0 ? 'planned' : 'none')
}

function dayTitle(date: string, d: api.CalendarDay | undefined): string {
  if (!d) return `${date}\nno runs`
  const parts = ORDER.filter((st) => d.states[st]).map((st) => `${d.states[st]} ${st}`)
  if (d.planned) parts.push(`${d.planned} planned`)
  const n = Object.values(d.states).reduce((a, b) => a + b, 0)
  return `${date}\n${n ? count(n, 'run') + ': ' : ''}${parts.join(', ')}`
}

export function CalendarView({ dagId, route }: { dagId: string; route: Route }) {
  const thisYear = new Date().getUTCFullYear()
  const year = Number(route.query.get('year') ?? thisYear) || thisYear
  const cal = useLoad(() => api.calendar(dagId, year), [dagId, year], 'dag-calendar')
  useEffect(() => {
    const reload = coalesce(cal.reload, 1000)
    const offs = [on('dag_run', (r) => r.dag_id === dagId && reload()), on('resync', reload)]
    return () => offs.forEach((f) => f())
  }, [dagId, year])

  const byDate = new Map((cal.data?.days ?? []).map((d) => [d.date, d]))
  // Weeks are columns (Sunday first, as Airflow's), days of the week rows.
  const jan1 = new Date(Date.UTC(year, 0, 1))
  const days: { date: string; week: number; dow: number; month: number }[] = []
  for (let t = jan1; t.getUTCFullYear() === year; t = new Date(t.getTime() + 86400000)) {
    const offset = Math.floor((t.getTime() - jan1.getTime()) / 86400000) + jan1.getUTCDay()
    days.push({ date: t.toISOString().slice(0, 10), week: Math.floor(offset / 7), dow: t.getUTCDay(), month: t.getUTCMonth() })
  }
  const weeks = days[days.length - 1].week + 1
  const monthStarts = MONTHS.map((_, m) => days.find((d) => d.month === m && d.dow === 0 && d.date.slice(8) <= '07') ?? days.find((d) => d.month === m)!)

  return (
    <div class="calendar-tab">
      <div class="toolbar">
        <button onClick={() => setQuery('year', String(year - 1))} data-testid="calendar-prev" title="the year before">
          ←
        </button>
        <strong data-testid="calendar-year">{year}</strong>
        <button onClick={() => setQuery('year', year + 1 === thisYear ? null : String(year + 1))} data-testid="calendar-next" title="the year after">
          →
        </button>
        <span class="spacer" />
        <span class="calendar-legend">
          {(['success', 'failed', 'running', 'planned'] as const).map((s) => (
            <span class="legend-item">
              <span class={`legend-swatch day-${s}`} style={s === 'planned' ? undefined : { background: stateColor(s) }} />
              {s}
            </span>
          ))}
        </span>
      </div>
      <ErrorBox error={cal.error} />
      {!cal.data && !cal.error && <Spinner />}
      {cal.data && (
        <svg class="calendar" width={weeks * CELL + 40} height={7 * CELL + 24} data-testid="calendar" data-year={year}>
          {monthStarts.map((d, m) => (
            <text x={40 + d.week * CELL} y={10} class="calendar-month">
              {MONTHS[m]}
            </text>
          ))}
          {['Mon', 'Wed', 'Fri'].map((name, i) => (
            <text x={0} y={20 + (1 + 2 * i) * CELL + 10} class="calendar-month">
              {name}
            </text>
          ))}
          {days.map((d) => {
            const data = byDate.get(d.date)
            const s = dayState(data)
            return (
              <a href={href(['dags', dagId, 'grid'], { before: `${d.date}T23:59:59Z` })}>
                <rect
                  x={40 + d.week * CELL}
                  y={20 + d.dow * CELL}
                  width={CELL - 3}
                  height={CELL - 3}
                  rx={2}
                  class={`day day-${s}`}
                  style={s === 'none' || s === 'planned' ? undefined : { fill: stateColor(s as api.RunState) }}
                  data-testid="calendar-day"
                  data-date={d.date}
                  data-state={s}
                >
                  <title>{dayTitle(d.date, data)}</title>
                </rect>
              </a>
            )
          })}
        </svg>
      )}
    </div>
  )
}
