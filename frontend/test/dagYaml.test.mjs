// The task form's YAML edits for operator tasks (src/components/dagYaml.ts): what the form
// writes is what the parser reads, and what it does not touch stays as the user wrote it.
// Run with `npm test` (compiles dagYaml.ts with tsc, then node --test).

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parse } from 'yaml'
import * as dy from '../node_modules/.tests/components/dagYaml.js'

const base = `dag_id: ops   # the DAG
schedule: null
tasks:
  - id: fetch      # from the API
    module: modules/echo.wasm
    retries: 2
  - id: after
    module: modules/echo.wasm
    upstream: [fetch]
`

const edit = (src, e) => {
  const out = dy.applyEdit(src, e)
  assert.notEqual(out, null, 'the edit was refused')
  return out
}

// The edited task is as `yaml` prints it (its comments kept, their spacing normalised); the
// other tasks and the top-level keys stay byte for byte.
test('a module task becomes an operator task: operator takes module\'s place, the rest is kept', () => {
  const out = edit(base, dy.setTaskRunner(0, { operator: 'http' }))
  assert.equal(
    out,
    `dag_id: ops   # the DAG
schedule: null
tasks:
  - id: fetch # from the API
    operator: http
    retries: 2
  - id: after
    module: modules/echo.wasm
    upstream: [fetch]
`,
  )
  const t = dy.readDag(out).tasks[0]
  assert.equal(t.operator, 'http')
  assert.equal(t.module, null)
})

test('choosing an operator sets its single-choice required fields, drops the previous operator\'s own, and sensor: true', () => {
  const src = `tasks:
  - id: s
    module: m.wasm
    sensor: true
`
  let out = edit(src, dy.setTaskRunner(0, { operator: 'http' }))
  out = edit(out, dy.setTaskText(0, 'response_filter', 'json.items'))
  out = edit(out, dy.setTaskText(0, 'endpoint', '/x'))
  out = edit(out, dy.setTaskRunner(0, { operator: 'script' }, ['response_filter', 'endpoint'], { language: 'javascript' }))
  assert.deepEqual(parse(out).tasks[0], { id: 's', operator: 'script', language: 'javascript' })
  // and back to a module: the operator's fields go, the module takes operator's place
  out = edit(out, dy.setTaskRunner(0, { module: 'm.wasm' }, ['language']))
  assert.equal(out, `tasks:\n  - id: s\n    module: m.wasm\n`)
})

test('a task without module or operator gets operator after its id', () => {
  const out = edit(`tasks:\n  - id: a\n    retries: 1\n`, dy.setTaskRunner(0, { operator: 'sql' }))
  assert.equal(out, `tasks:\n  - id: a\n    operator: sql\n    retries: 1\n`)
})

test('multi-line text is a literal block, read back as typed; an existing value keeps its comment', () => {
  const code = 'const n = 2;\nreturn {n: n * 21};\n'
  let out = edit(base, dy.setTaskRunner(0, { operator: 'script' }, [], { language: 'javascript' }))
  out = edit(out, dy.setTaskText(0, 'code', code))
  assert.match(out, /\n    code: \|\n      const n = 2;\n      return \{n: n \* 21\};\n/)
  assert.equal(dy.readDag(out).tasks[0].values.code, code)
  assert.equal(parse(out).tasks[0].code, code)

  const commented = `tasks:\n  - id: a\n    operator: http\n    endpoint: /old   # keep me\n`
  assert.equal(edit(commented, dy.setTaskText(0, 'endpoint', '/new')), `tasks:\n  - id: a\n    operator: http\n    endpoint: /new # keep me\n`)
  // text that YAML would read as another type stays text
  out = edit(commented, dy.setTaskText(0, 'data', 'true'))
  assert.equal(parse(out).tasks[0].data, 'true')
  // '' removes the key
  assert.doesNotMatch(edit(commented, dy.setTaskText(0, 'endpoint', '')), /endpoint/)
})

test('lists: a new one is a flow list, an existing one keeps its elements\' quoting, empty removes it', () => {
  const src = `tasks:\n  - id: load\n    operator: sql\n    conn_id: wh\n    sql: select ?\n`
  let out = edit(src, dy.setTaskList(0, 'parameters', ['{{ ds }}', '{{ ds }}']))
  assert.match(out, /parameters: \[ *"\{\{ ds \}\}", "\{\{ ds \}\}" *\]/)
  assert.deepEqual(dy.readDag(out).tasks[0].values.parameters, ['{{ ds }}', '{{ ds }}'])

  const block = `tasks:\n  - id: load\n    parameters:\n      - '{{ ds }}'   # the day\n      - "2"\n`
  out = edit(block, dy.setTaskList(0, 'parameters', ['{{ ds }}', '3', '']))
  assert.equal(out, `tasks:\n  - id: load\n    parameters:\n      - '{{ ds }}' # the day\n      - "3"\n      - ""\n`)
  assert.doesNotMatch(edit(block, dy.setTaskList(0, 'parameters', [])), /parameters/)
})

test('hand-written fields read back: values, lines, unknown keys kept through an edit', () => {
  const src = `dag_id: d
tasks:
  - id: call
    operator: http
    http_conn_id: api
    method: GET
    headrs: '{"A": "b"}'     # a typo: the server's parse reports it
    data: |
      {"a": 1}
    allow_hosts: ["127.0.0.1:8080"]
    env: {A: b}
`
  const t = dy.readDag(src).tasks[0]
  assert.equal(t.operator, 'http')
  assert.deepEqual(t.values.method, 'GET')
  assert.deepEqual(t.values.allow_hosts, ['127.0.0.1:8080'])
  assert.equal(t.values.data, '{"a": 1}\n')
  assert.equal(t.values.env, null, 'a mapping is not editable as text')
  assert.deepEqual(t.keyLines.headrs, [7, 7])
  assert.deepEqual(t.keyLines.data, [8, 9])
  const out = edit(src, dy.setTaskText(0, 'endpoint', '/orders'))
  assert.ok(out.includes(`    headrs: '{"A": "b"}' # a typo: the server's parse reports it\n`), out)
  assert.equal(parse(out).tasks[0].endpoint, '/orders')
})

test('a template in the file does not make the edited task\'s flow lists padded', () => {
  const src = `tasks:\n  - id: fetch\n    operator: http\n    endpoint: /orders?day={{ ds }}\n    upstream: [hello]\n`
  assert.equal(edit(src, dy.setTaskText(0, 'method', 'GET')), `tasks:\n  - id: fetch\n    operator: http\n    endpoint: /orders?day={{ ds }}\n    upstream: [hello]\n    method: GET\n`)
})
