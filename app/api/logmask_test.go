package api

import (
	"bytes"
	"testing"

	"github.com/wasmflow/wasmflow/tasks"
)

// A live log (its try still running) is served only as far as no secret can be half written;
// an ended one to its end. Offsets are the file's.
func TestMaskedLogLiveEdge(t *testing.T) {
	var s tasks.Secrets
	s.Add("hunter2-S3cret")
	for _, c := range []struct {
		log      string
		offset   int64
		complete bool
		want     string
		next     int64
	}{
		{"a\nhunter2-S3", 0, false, "a\n", 2},           // the secret may go on: wait
		{"a\nhunter2-S3", 2, true, "hunter2-S3", 12},    // the try ended: it never did
		{"a\nhunter2-S3cret\nb", 2, false, "***\n", 17}, // whole lines are safe
		{"a\nhunter2-S3cret\nb", 17, true, "b", 18},     // the rest once ended
		{"a\nhunter2-S3cret\nb", 6, true, "***\nb", 18}, // from inside the secret: still masked
		{"pw=hunter2-S3cret", 0, false, "pw=***", 4},    // no newline: all but margin bytes, the secret seen whole
		{"pw=hunter2-S3cret", 0, true, "pw=***", 17},
	} {
		text, next, err := newMaskedLog(bytes.NewReader([]byte(c.log)), &s).read(c.offset, 1<<20, c.complete)
		if err != nil || text != c.want || next != c.next {
			t.Errorf("read(%q from %d, complete %v) = %q, %d, %v; want %q, %d", c.log, c.offset, c.complete, text, next, err, c.want, c.next)
		}
	}
	// Chunks smaller than the secret: every chunk that holds part of it shows ***.
	log := "x hunter2-S3cret y"
	var got string
	for off := int64(0); off < int64(len(log)); {
		text, next, err := newMaskedLog(bytes.NewReader([]byte(log)), &s).read(off, 4, true)
		if err != nil || next <= off {
			t.Fatalf("read from %d: %q %d %v", off, text, next, err)
		}
		got, off = got+text, next
	}
	if bytes.Contains([]byte(got), []byte("S3")) || got != "x ************ y" {
		t.Errorf("read in 4-byte chunks: %q", got)
	}
}
