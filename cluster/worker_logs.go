package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// logShipper streams a try's log to the server, about every 100 ms. What cannot be sent (the
// server is away) is held, up to 1 MiB, and goes with the result.
type logShipper struct {
	w    *Worker
	t    *workerTry
	mu   sync.Mutex
	buf  []byte
	drop int
	next time.Time // no send before this, after a failure
	stop chan struct{}
	done chan struct{}
}

const maxHeldLog = 1 << 20

func newLogShipper(w *Worker, t *workerTry) *logShipper {
	s := &logShipper{w: w, t: t, stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *logShipper) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf)+len(p) > maxHeldLog {
		s.drop += len(p)
		return len(p), nil
	}
	s.buf = append(s.buf, p...)
	return len(p), nil
}

func (s *logShipper) loop() {
	defer close(s.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.flush(false)
		}
	}
}

// flush sends what is buffered; with final, it tries even right after a failure.
func (s *logShipper) flush(final bool) {
	s.mu.Lock()
	if len(s.buf) == 0 || (!final && time.Now().Before(s.next)) {
		s.mu.Unlock()
		return
	}
	data := s.buf
	s.buf = nil
	s.mu.Unlock()
	err := errors.New("no server")
	if srv, ok := s.w.node.Server(); ok {
		ctx, cancel := context.WithTimeout(s.w.ctx, 5*time.Second)
		err = s.w.ch.call(ctx, srv.DataAddress, pathLogs, logMessage{ID: s.t.id, Key: s.t.key, TryNumber: s.t.try, Data: data}, nil)
		cancel()
	}
	if err != nil {
		s.mu.Lock()
		s.buf = append(data, s.buf...)
		s.next = time.Now().Add(time.Second)
		s.mu.Unlock()
	}
}

// close stops streaming after one last send and returns what is still unsent.
func (s *logShipper) close() []byte {
	close(s.stop)
	<-s.done
	s.flush(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drop > 0 {
		s.buf = append(s.buf, fmt.Sprintf("[wasmflow] %d bytes of log dropped: the server could not be reached\n", s.drop)...)
	}
	return s.buf
}
