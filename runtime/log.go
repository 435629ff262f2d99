package runtime

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// notePrefix starts every line the runtime itself writes to a try's log.
const notePrefix = "[wasmflow] "

// maxLineBytes splits a longer line without a newline, so a module that never writes one cannot
// make the runtime buffer its whole output.
const maxLineBytes = 64 << 10

// tryLog is one try's log: the module's stdout and stderr, and the runtime's notes, written to
// the caller's writer whole line by whole line, up to a size cap.
type tryLog struct {
	mu        sync.Mutex
	w         io.Writer
	max       int64
	written   int64
	truncated bool
	dropped   int64
	err       error // the first write error; the log is dropped after it
}

func newTryLog(w io.Writer, max int64) *tryLog {
	if w == nil {
		w = io.Discard
	}
	return &tryLog{w: w, max: max}
}

// line writes one line (ending in '\n') of the module's output, or counts it as dropped once
// the log is over its cap.
func (l *tryLog) line(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.truncated || l.err != nil {
		l.dropped += int64(len(b))
		return
	}
	if l.written+int64(len(b)) > l.max {
		l.truncated = true
		l.dropped += int64(len(b))
		l.writeLocked(fmt.Appendf(nil, "%slog truncated: it reached the limit of %d bytes; further output is dropped\n", notePrefix, l.max))
		return
	}
	l.written += int64(len(b))
	l.writeLocked(b)
}

// note writes one of the runtime's own lines. Notes are few and short, and they say why a try
// ended, so they are written even past the cap.
func (l *tryLog) note(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	b := fmt.Appendf([]byte(notePrefix), format, args...)
	if !bytes.HasSuffix(b, []byte("\n")) {
		b = append(b, '\n')
	}
	l.writeLocked(b)
}

func (l *tryLog) writeLocked(b []byte) {
	if _, err := l.w.Write(b); err != nil {
		l.err = err
	}
}

// close reports how much was dropped, and the first write error.
func (l *tryLog) close() error {
	l.mu.Lock()
	dropped := l.dropped
	l.mu.Unlock()
	if dropped > 0 {
		l.note("%d bytes of output were dropped after the log limit", dropped)
	}
	if l.err != nil {
		return fmt.Errorf("write log: %w", l.err)
	}
	return nil
}

// streamWriter is the module's stdout or stderr: it cuts what the module writes into lines for
// the log. The stdout one also remembers the last non-empty line, the return_value fallback.
type streamWriter struct {
	log  *tryLog
	buf  []byte
	last *lastLine // nil for stderr
}

func (s *streamWriter) Write(p []byte) (int, error) {
	n := len(p)
	if s.last != nil {
		s.last.write(p)
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := maxLineBytes - len(s.buf)
			if len(p) < room {
				s.buf = append(s.buf, p...)
				break
			}
			s.buf = append(s.buf, p[:room]...)
			p = p[room:]
			s.flush()
			continue
		}
		if len(s.buf) == 0 {
			s.log.line(p[:i+1]) // the common case: a whole line, no copy
		} else {
			s.buf = append(s.buf, p[:i+1]...)
			s.log.line(s.buf)
			s.buf = s.buf[:0]
		}
		p = p[i+1:]
	}
	return n, nil
}

// flush ends a pending partial line.
func (s *streamWriter) flush() {
	if len(s.buf) == 0 {
		return
	}
	s.buf = append(s.buf, '\n')
	s.log.line(s.buf)
	s.buf = s.buf[:0]
}

// lastLine keeps the last non-empty line of a stream with its trailing whitespace stripped
// (Airflow's BashOperator rule), holding at most limit+1 bytes of it.
type lastLine struct {
	limit   int
	cur     []byte
	curLen  int
	last    []byte
	lastLen int // the full length, even when more than limit bytes were kept
}

func (l *lastLine) write(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		l.curLen += len(chunk)
		if room := l.limit + 1 - len(l.cur); room > 0 {
			l.cur = append(l.cur, chunk[:min(room, len(chunk))]...)
		}
		if i < 0 {
			return
		}
		l.end()
		p = p[i+1:]
	}
}

// end closes the current line.
func (l *lastLine) end() {
	trimmed := bytes.TrimRight(l.cur, " \t\r\n\v\f")
	if len(trimmed) > 0 {
		l.last = append(l.last[:0], trimmed...)
		l.lastLen = l.curLen - (len(l.cur) - len(trimmed))
	}
	l.cur = l.cur[:0]
	l.curLen = 0
}

// value is the last non-empty line, and its full length in bytes.
func (l *lastLine) value() ([]byte, int) {
	if len(l.cur) > 0 {
		l.end()
	}
	return l.last, l.lastLen
}
