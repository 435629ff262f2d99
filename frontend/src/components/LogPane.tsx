// One try's log, followed live over the /stream endpoint (server-sent `log` events, then `end`).
// Text is appended to the DOM as it comes, not re-rendered, so long logs stay cheap. The view
// sticks to the bottom while the reader is there and stops following when they scroll up.

import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, byteLength, errorText, fetchLog, logStreamUrl, logUrl } from '../api'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function LogPane(props: { dagId: string; runId: string; taskId: string; mapIndex?: number; tryNumber: number; onEnd?: (state: string) => void }) {
  const pre = useRef<HTMLPreElement>(null)
  const [follow, setFollow] = useState(true)
  const followRef = useRef(true)
  followRef.current = follow
  const [status, setStatus] = useState<'connecting' | 'live' | 'ended' | 'error'>('connecting')
  const [endState, setEndState] = useState('')
  const [error, setError] = useState('')
  const [bytes, setBytes] = useState(0)
  const onEnd = useRef(props.onEnd)
  onEnd.current = props.onEnd

  useEffect(() => {
    const el = pre.current!
    el.textContent = ''
    let offset = 0
    let es: EventSource | null = null
    let timer: ReturnType<typeof setTimeout> | undefined
    let closed = false
    let failures = 0
    setStatus('connecting')
    setError('')
    setEndState('')
    setBytes(0)

    const append = (text: string) => {
      if (!text) return
      el.append(text)
      setBytes(offset)
      if (followRef.current) el.scrollTop = el.scrollHeight
    }

    // A chunk may overlap what we have after a reconnect: keep only the bytes past `offset`.
    const take = (at: number, data: string) => {
      const len = byteLength(data)
      if (at + len <= offset) return
      if (at < offset) data = decoder.decode(encoder.encode(data).slice(offset - at))
      offset = Math.max(offset, at) + byteLength(data)
      append(data)
    }

    const open = () => {
      if (closed) return
      es = new EventSource(logStreamUrl(props.dagId, props.runId, props.taskId, props.tryNumber, offset, props.mapIndex), { withCredentials: true })
      es.addEventListener('open', () => setStatus('live'))
      es.addEventListener('log', (ev) => {
        failures = 0
        try {
          const m = JSON.parse((ev as MessageEvent).data) as { offset: number; data: string }
          take(typeof m.offset === 'number' ? m.offset : offset, m.data ?? '')
        } catch {
          /* a malformed event: skip it */
        }
      })
      es.addEventListener('end', (ev) => {
        let state = ''
        try {
          state = JSON.parse((ev as MessageEvent).data).state ?? ''
        } catch {
          /* no state */
        }
        es?.close()
        es = null
        closed = true
        setStatus('ended')
        setEndState(state)
        onEnd.current?.(state)
      })
      es.addEventListener('error', () => {
        if (closed) return
        es?.close()
        es = null
        // The stream broke or was refused. Read what is there the plain way (which also tells a
        // 401 or 404 apart), then follow again from there.
        failures++
        fetchLog(props.dagId, props.runId, props.taskId, props.tryNumber, offset, props.mapIndex)
          .then((r) => {
            take(offset, r.text)
            offset = Math.max(offset, r.offset)
            if (failures > 8) {
              setStatus('error')
              setError('the live log stream keeps failing; showing what was written so far')
              return
            }
            setStatus('connecting')
            timer = setTimeout(open, Math.min(10000, 500 * 2 ** failures))
          })
          .catch((e) => {
            setStatus('error')
            setError(e instanceof ApiError && e.status === 404 ? 'No log for this try yet.' : errorText(e))
          })
      })
    }
    open()
    return () => {
      closed = true
      clearTimeout(timer)
      es?.close()
    }
  }, [props.dagId, props.runId, props.taskId, props.tryNumber])

  const onScroll = () => {
    const el = pre.current!
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24
    if (atBottom !== followRef.current) setFollow(atBottom)
  }

  return (
    <div class="log">
      <div class="log-bar small">
        <span data-testid="log-status" data-status={status}>
          {status === 'live' && <span class="live-dot" />}
          {status === 'connecting' ? 'connecting…' : status === 'live' ? 'live' : status === 'ended' ? `try ended${endState ? `: ${endState}` : ''}` : 'stopped'}
        </span>
        <span class="muted">{bytes} bytes</span>
        <span class="spacer" />
        <label class="check">
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => {
              setFollow(e.currentTarget.checked)
              if (e.currentTarget.checked && pre.current) pre.current.scrollTop = pre.current.scrollHeight
            }}
            data-testid="log-follow"
          />
          follow
        </label>
        <a href={logUrl(props.dagId, props.runId, props.taskId, props.tryNumber, props.mapIndex)} target="_blank" rel="noopener">
          raw
        </a>
      </div>
      {error && (
        <div class="error small" role="alert" data-testid="log-error">
          {error}
        </div>
      )}
      <pre ref={pre} class="log-text" onScroll={onScroll} data-testid="log-pane" data-try={props.tryNumber} data-status={status} />
    </div>
  )
}
