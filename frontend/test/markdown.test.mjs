// doc_md's renderer (src/markdown.ts): the Markdown a DAG's doc uses, and nothing a doc could
// run in the page. Run with `npm test`.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { markdown, safeUrl } from '../node_modules/.tests/markdown.js'

test('headings, paragraphs, lists, code and emphasis', () => {
  const html = markdown('# ETL\n\nLoads **orders** and *refunds*\nevery day.\n\n- one `x<y`\n- two\n\n1. first\n2. second\n\n```\na < b\n```\n\n> quoted')
  assert.match(html, /<h1>ETL<\/h1>/)
  assert.match(html, /<p>Loads <strong>orders<\/strong> and <em>refunds<\/em> every day\.<\/p>/)
  assert.match(html, /<ul><li>one <code>x&lt;y<\/code><\/li><li>two<\/li><\/ul>/)
  assert.match(html, /<ol><li>first<\/li><li>second<\/li><\/ol>/)
  assert.match(html, /<pre><code>a &lt; b<\/code><\/pre>/)
  assert.match(html, /<blockquote><p>quoted<\/p><\/blockquote>/)
})

test('links: http, mailto and relative ones kept, opening elsewhere', () => {
  const html = markdown('[docs](https://example.com/a?b=1&c=2) [me](mailto:a@b.c) [here](#/dags) see https://x.org/y')
  assert.match(html, /<a href="https:\/\/example.com\/a\?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">docs<\/a>/)
  assert.match(html, /<a href="mailto:a@b.c"/)
  assert.match(html, /<a href="#\/dags"/)
  assert.match(html, /<a href="https:\/\/x.org\/y"/)
})

test('no script, no event handler, no javascript: link', () => {
  const evil = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[click](javascript:alert(1))',
    '[click](JaVa\tScRiPt:alert(1))',
    '![x](javascript:alert(1))',
    '[x](data:text/html,<script>alert(1)</script>)',
    '<a href="javascript:alert(1)">a</a>',
    '**<b onmouseover="alert(1)">x</b>**',
    '`<script>`',
    '```\n<script>alert(1)</script>\n```',
  ].join('\n\n')
  const html = markdown(evil)
  assert.doesNotMatch(html, /<script/i)
  assert.doesNotMatch(html, /<[a-z]+[^>]*\son\w+=/i, 'an element with an event handler')
  assert.doesNotMatch(html, /href="\s*javascript:/i)
  assert.doesNotMatch(html, /src="\s*javascript:/i)
  assert.doesNotMatch(html, /href="data:/i)
  assert.match(html, /&lt;script&gt;/)
  assert.match(html, /click/, 'a dropped link keeps its text')
  // Only the renderer's own tags are in the output.
  const tags = new Set([...html.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => m[1].toLowerCase()))
  for (const t of tags) assert.ok(['p', 'strong', 'em', 'code', 'pre', 'a', 'img', 'br', 'del', 'h1', 'ul', 'ol', 'li', 'blockquote', 'hr'].includes(t), `tag ${t}`)
})

test('safeUrl', () => {
  assert.equal(safeUrl('https://a.b'), true)
  assert.equal(safeUrl('page.html'), true)
  assert.equal(safeUrl('javascript:x'), false)
  assert.equal(safeUrl(' javascript:x'), false)
  assert.equal(safeUrl('vbscript:x'), false)
  assert.equal(safeUrl('data:x'), false)
})
