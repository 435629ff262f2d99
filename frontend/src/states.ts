// Airflow's state colours (airflow/settings.py STATE_COLORS), used by every view.

import type { RunState, TaskState } from './api'

export const STATE_COLORS: Record<TaskState, string> = {
  none: 'transparent',
  scheduled: 'tan',
  queued: 'gray',
  running: 'lime',
  success: 'green',
  failed: 'red',
  up_for_retry: 'gold',
  up_for_reschedule: 'turquoise',
  upstream_failed: 'orange',
  skipped: 'hotpink',
  removed: 'lightgrey',
  restarting: 'violet',
  deferred: 'mediumpurple',
}

export const TASK_STATES = Object.keys(STATE_COLORS) as TaskState[]

/** The order in which a mapped task shows its instances' states: the first present is its own. */
const PRESSING: TaskState[] = ['failed', 'upstream_failed', 'up_for_retry', 'up_for_reschedule', 'queued', 'scheduled', 'deferred', 'running', 'restarting', 'none', 'success', 'skipped', 'removed']

/** The state a mapped task shows for instances in these states (as the scheduler's). */
export function mostPressing(states: Iterable<TaskState>): TaskState {
  const seen = new Set(states)
  return PRESSING.find((s) => seen.has(s)) ?? 'none'
}

/** "3 mapped: 2 success, 1 failed" for a mapped task's instance counts by state. */
export function mappedSummary(counts: Record<string, number>): string {
  const n = Object.values(counts).reduce((a, b) => a + b, 0)
  const parts = PRESSING.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`)
  return `${n} mapped: ${parts.join(', ')}`
}

/** The state as a string; the API writes none as null. */
export function stateName(s: TaskState | RunState | null | undefined): TaskState {
  return (s ?? 'none') as TaskState
}

export function stateColor(s: TaskState | RunState | null | undefined): string {
  return STATE_COLORS[stateName(s)] ?? 'transparent'
}

/** Text on top of a state colour. */
export function stateInk(s: TaskState | RunState | null | undefined): string {
  switch (stateName(s)) {
    case 'success':
    case 'failed':
    case 'queued':
    case 'deferred':
      return '#fff'
    case 'none':
      return 'var(--fg)'
    default:
      return '#000'
  }
}

const finished = new Set<string>(['success', 'failed', 'skipped', 'upstream_failed', 'removed'])

export function isFinished(s: TaskState | RunState | null | undefined): boolean {
  return finished.has(stateName(s))
}
