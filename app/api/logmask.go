package api

import (
	"bytes"
	"io"

	"github.com/wasmflow/wasmflow/tasks"
)

// maskedLog serves a try's log with the values of the Variables that name a secret masked
// (app.LogSecrets, as Airflow masks task logs), at the file's own byte offsets: clients
// resume from the offset a read returns, whatever the masked text's length.
type maskedLog struct {
	f         io.ReadSeeker
	secrets   *tasks.Secrets
	margin    int  // the longest secret less one byte: what a chunk is masked with on each side
	multiline bool // a secret spans lines: a line's end is no safe place to stop
}

func newMaskedLog(f io.ReadSeeker, secrets *tasks.Secrets) maskedLog {
	return maskedLog{f: f, secrets: secrets, margin: max(0, secrets.MaxLen()-1), multiline: secrets.Multiline()}
}

// read returns up to limit bytes of the log from offset, masked, and the offset after them.
// The bytes around the chunk are read too, so a secret cut by its start or end is masked in
// both chunks. Unless the log is complete (its try ended), a read stops where the next secret
// cannot still be half written: margin bytes before the end, or after the last whole line.
func (m maskedLog) read(offset int64, limit int, complete bool) (string, int64, error) {
	start := max(0, offset-int64(m.margin))
	if _, err := m.f.Seek(start, io.SeekStart); err != nil {
		return "", offset, err
	}
	w, err := io.ReadAll(io.LimitReader(m.f, offset-start+int64(limit+m.margin)))
	if err != nil {
		return "", offset, err
	}
	from := int(offset - start)
	if from >= len(w) {
		return "", offset, nil
	}
	to := min(from+limit, len(w))
	if m.secrets.Len() > 0 && !complete && len(w)-to < m.margin {
		safe := len(w) - m.margin
		if i := bytes.LastIndexByte(w[from:to], '\n'); i >= 0 && !m.multiline {
			safe = max(safe, from+i+1)
		}
		to = min(to, max(safe, from))
	}
	return m.secrets.MaskPart(string(w), from, to), offset + int64(to-from), nil
}
