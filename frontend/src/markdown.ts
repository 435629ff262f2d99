// A small Markdown renderer for doc_md: headings, paragraphs, lists, quotes, code blocks,
// rules, inline code, emphasis, links and images. It is safe by construction: every character
// of the source is HTML-escaped first and only the tags below are ever written, so a doc cannot
// carry a script, an event handler or a style; a link's URL must be http(s), mailto, a page
// anchor or a relative path (javascript:, data: and the like are dropped, the text kept).

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

/** Whether a link or image URL may be written: no scheme but http(s) or mailto. */
export function safeUrl(url: string): boolean {
  // Browsers ignore control characters and spaces inside a scheme ("java\tscript:"): strip
  // them before looking at it.
  const u = url.replace(/[\u0000-\u0020\u007f]/g, '').toLowerCase()
  const scheme = /^([a-z][a-z0-9+.-]*):/.exec(u)
  if (!scheme) return true // a relative path or an anchor
  return ['http', 'https', 'mailto'].includes(scheme[1])
}

/** Inline Markdown of one escaped line: code spans first (their content stays as written). */
function inline(src: string): string {
  const codes: string[] = []
  let s = src.replace(/`([^`]+)`/g, (_, c: string) => {
    codes.push(`<code>${esc(c)}</code>`)
    return `\u0000${codes.length - 1}\u0000`
  })
  s = esc(s)
  // Images and links: the URL is unescaped for the check, and written escaped.
  const unesc = (u: string) => u.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'")
  s = s.replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (_m, alt: string, url: string) => (safeUrl(unesc(url)) ? `<img alt="${alt}" src="${url}">` : alt))
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, text: string, url: string) =>
    safeUrl(unesc(url)) ? `<a href="${url}" target="_blank" rel="noopener noreferrer">${text}</a>` : text,
  )
  s = s.replace(/(^|[\s(])(https?:\/\/[^\s<)]+)/g, (_m, pre: string, url: string) => `${pre}<a href="${url}" target="_blank" rel="noopener noreferrer">${url}</a>`)
  s = s.replace(/\*\*([^*]+)\*\*|__([^_]+)__/g, (_m, a?: string, b?: string) => `<strong>${a ?? b}</strong>`)
  s = s.replace(/(^|[^*\w])\*([^*\s][^*]*)\*|(^|[^_\w])_([^_\s][^_]*)_(?!\w)/g, (_m, p1?: string, a?: string, p3?: string, b?: string) =>
    a !== undefined ? `${p1}<em>${a}</em>` : `${p3}<em>${b}</em>`,
  )
  s = s.replace(/~~([^~]+)~~/g, '<del>$1</del>')
  return s.replace(/\u0000(\d+)\u0000/g, (_, i: string) => codes[Number(i)])
}

/** Markdown to HTML that is safe to set as innerHTML. */
export function markdown(src: string): string {
  const lines = src.replace(/\r\n?/g, '\n').split('\n')
  const out: string[] = []
  let para: string[] = []
  let list: { tag: 'ul' | 'ol'; items: string[] } | null = null
  const flushPara = () => {
    if (para.length) out.push(`<p>${para.map(inline).join(' ')}</p>`)
    para = []
  }
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${list.tag}>`)
    list = null
  }
  const flush = () => {
    flushPara()
    flushList()
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const fence = /^\s*(```|~~~)\s*([\w-]*)\s*$/.exec(line)
    if (fence) {
      flush()
      const body: string[] = []
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i])
      out.push(`<pre><code>${esc(body.join('\n'))}</code></pre>`)
      continue
    }
    if (/^\s*$/.test(line)) {
      flush()
      continue
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line)
    if (h) {
      flush()
      out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`)
      continue
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush()
      out.push('<hr>')
      continue
    }
    const q = /^\s*>\s?(.*)$/.exec(line)
    if (q) {
      flush()
      const body = [q[1]]
      while (i + 1 < lines.length && /^\s*>/.test(lines[i + 1])) body.push(lines[++i].replace(/^\s*>\s?/, ''))
      out.push(`<blockquote>${markdown(body.join('\n'))}</blockquote>`)
      continue
    }
    const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line)
    if (item) {
      flushPara()
      const tag = /\d/.test(item[1]) ? 'ol' : 'ul'
      if (list && list.tag !== tag) flushList()
      list ??= { tag, items: [] }
      list.items.push(item[2])
      continue
    }
    if (/^( {4}|\t)/.test(line) && !para.length && !list) {
      const body = [line.replace(/^( {4}|\t)/, '')]
      while (i + 1 < lines.length && /^( {4}|\t)/.test(lines[i + 1])) body.push(lines[++i].replace(/^( {4}|\t)/, ''))
      out.push(`<pre><code>${esc(body.join('\n'))}</code></pre>`)
      continue
    }
    if (list) {
      // A line under an item continues it.
      const l: { items: string[] } = list
      l.items[l.items.length - 1] += ' ' + line.trim()
      continue
    }
    para.push(line.trim())
  }
  flush()
  return out.join('\n')
}
