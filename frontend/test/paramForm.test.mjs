// The trigger form's model (src/components/paramForm.ts): each param's input from its
// schema, the conf it starts from, the server's refusal per param. Run with `npm test`.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as pf from '../node_modules/.tests/components/paramForm.js'

const P = (value, schema = {}, description = null) => ({ __class: 'airflow.models.param.Param', value, description, schema })

test('each schema gets its input', () => {
  assert.equal(pf.fieldKind(P(3, { type: 'integer', minimum: 1 })), 'integer')
  assert.equal(pf.fieldKind(P(null, { type: ['null', 'number'] })), 'number')
  assert.equal(pf.fieldKind(P('fast', { enum: ['fast', 'slow'] })), 'enum')
  assert.equal(pf.fieldKind(P(false, { type: 'boolean' })), 'boolean')
  assert.equal(pf.fieldKind(P('x', { type: 'string', pattern: '^x' })), 'string')
  assert.equal(pf.fieldKind(P({}, { type: 'object' })), 'json')
  assert.equal(pf.fieldKind(P([1], { type: 'array' })), 'json')
})

test('a plain value gets the input of its type', () => {
  assert.equal(pf.fieldKind(P('hello')), 'string')
  assert.equal(pf.fieldKind(P(2)), 'number')
  assert.equal(pf.fieldKind(P(true)), 'boolean')
  assert.equal(pf.fieldKind(P({ a: 1 })), 'json')
})

test('the form starts from the defaults, without the required ones', () => {
  assert.deepEqual(pf.initialConf({ n: P(3, { type: 'integer' }), who: P(null, { type: 'string' }), b: P(false) }), { n: 3, b: false })
})

test('field text becomes values', () => {
  assert.equal(pf.numberValue(''), undefined)
  assert.equal(pf.numberValue('7'), 7)
  assert.equal(pf.numberValue('x'), 'x')
  assert.deepEqual(pf.jsonValue('{"a": [1]}'), { value: { a: [1] } })
  assert.match(pf.jsonValue('{a').error, /not valid JSON/)
})

test('the refusal is split per param, nested paths kept', () => {
  const body = {
    errors: [
      { param: 'n', path: '/n', message: 'minimum: got 0, want 1' },
      { param: 'cfg', path: '/cfg/retries', message: 'got string, want integer' },
      { param: 'n', path: '/n', message: 'second' },
    ],
  }
  assert.deepEqual(pf.issuesByParam(body), { n: ['minimum: got 0, want 1', 'second'], cfg: ['/retries: got string, want integer'] })
  assert.deepEqual(pf.issuesByParam({ detail: 'x' }), {})
})
