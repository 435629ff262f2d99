// The views' task groups (src/groups.ts): what the graph draws with groups collapsed, the
// grid's rows with groups folded, and a group's state summed up as Airflow does.
// Run with `npm test`.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as g from '../node_modules/.tests/groups.js'

const groups = [
  { group_id: 'extract', label: 'extract', tooltip: '', prefix_group_id: true, parent_group_id: null, task_ids: ['extract.fetch', 'extract.inner.parse'] },
  { group_id: 'extract.inner', label: 'inner', tooltip: '', prefix_group_id: true, parent_group_id: 'extract', task_ids: ['extract.inner.parse'] },
  { group_id: 'empty', label: 'empty', tooltip: '', prefix_group_id: true, parent_group_id: null, task_ids: [] },
]
const tasks = [
  { task_id: 'extract.fetch', label: 'fetch', group_path: ['extract'], upstream_task_ids: [] },
  { task_id: 'extract.inner.parse', label: 'parse', group_path: ['extract', 'extract.inner'], upstream_task_ids: ['extract.fetch'] },
  { task_id: 'load', label: 'load', group_path: [], upstream_task_ids: ['extract.fetch', 'extract.inner.parse'] },
]

test('expanded groups are boxes around their tasks; an empty group is drawn collapsed', () => {
  const vg = g.visibleGraph(tasks, groups, new Set())
  assert.deepEqual(
    vg.nodes.map((n) => `${n.id}:${n.kind}:${n.label}:${n.parent ?? ''}`),
    ['extract:group:extract:', 'extract.inner:group:inner:extract', 'empty:collapsed:empty:', 'extract.fetch:task:fetch:extract', 'extract.inner.parse:task:parse:extract.inner', 'load:task:load:'],
  )
  assert.equal(vg.edges.length, 3)
})

test('a collapsed group is one node: what is inside goes, its edges are merged, those within it dropped', () => {
  const vg = g.visibleGraph(tasks, groups, new Set(['extract']))
  assert.deepEqual(
    vg.nodes.map((n) => `${n.id}:${n.kind}`),
    ['extract:collapsed', 'empty:collapsed', 'load:task'],
  )
  assert.deepEqual(vg.edges, [{ from: 'extract', to: 'load' }])
})

test('collapsing the nested group keeps the outer box around it', () => {
  const vg = g.visibleGraph(tasks, groups, new Set(['extract.inner']))
  assert.deepEqual(
    vg.nodes.map((n) => `${n.id}:${n.kind}:${n.parent ?? ''}`),
    ['extract:group:', 'extract.inner:collapsed:extract', 'empty:collapsed:', 'extract.fetch:task:extract', 'load:task:'],
  )
  assert.deepEqual(vg.edges, [
    { from: 'extract.fetch', to: 'extract.inner' },
    { from: 'extract.fetch', to: 'load' },
    { from: 'extract.inner', to: 'load' },
  ])
})

// A group's row as [id], indented by one space per group it is inside; a task's as its id.
const rowNames = (rows) => rows.map((r) => (r.kind === 'group' ? ' '.repeat(r.depth) + `[${r.group.group_id}]` : tasks[r.task].task_id))

test('the grid has a row per group above what is in it; folding hides that', () => {
  assert.deepEqual(rowNames(g.gridRows(tasks, groups, new Set())), ['[extract]', 'extract.fetch', ' [extract.inner]', 'extract.inner.parse', 'load', '[empty]'])
  assert.deepEqual(rowNames(g.gridRows(tasks, groups, new Set(['extract']))), ['[extract]', 'load', '[empty]'])
  assert.deepEqual(rowNames(g.gridRows(tasks, groups, new Set(['extract.inner']))), ['[extract]', 'extract.fetch', ' [extract.inner]', 'load', '[empty]'])
  const outer = g.gridRows(tasks, groups, new Set(['extract']))[0]
  assert.deepEqual(outer.tasks, [0, 1], "a folded group's cells sum up all its tasks, nested ones included")
})

test("a group's state is the first of Airflow's priority any of its tasks is in", () => {
  assert.equal(g.groupState(['success', 'failed', 'running']), 'failed')
  assert.equal(g.groupState(['success', 'running']), 'running')
  assert.equal(g.groupState(['success', null]), null, 'a task not started yet: no state')
  assert.equal(g.groupState(['success', 'skipped']), 'success')
  assert.equal(g.groupState(['skipped', 'skipped']), 'skipped')
  assert.equal(g.groupState([]), null)
})
