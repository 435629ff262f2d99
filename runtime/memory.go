package runtime

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

const (
	pageSize = 64 << 10
	// maxPages is 4 GiB, the most a wasm32 memory can address.
	maxPages = 1 << 16
)

// limitedMemory backs one try's linear memory and enforces the try's memory limit.
//
// wazero's own limit (RuntimeConfig.WithMemoryLimitPages) is per runtime, which would mean one
// runtime per limit value and therefore one compilation per (module, limit) pair; it also
// refuses memory.grow before any hook runs, so the runtime could only guess afterwards whether a
// failed module had run out of memory. A memory allocator sees every grow: it refuses the one
// that crosses the limit and remembers that it did, which makes "oom" exact for every guest
// language (Go's "fatal error: out of memory", C's malloc returning NULL, Rust's abort), and it
// records the peak for free.
type limitedMemory struct {
	limit uint64 // bytes, a whole number of pages
	buf   []byte
	// peak and refused are written on the guest's goroutine and read after it returns; atomics
	// keep the race detector quiet about the timeout path.
	peak    atomic.Uint64 // bytes
	refused atomic.Uint64 // bytes of the first refused grow, 0 if none
}

var _ experimental.LinearMemory = (*limitedMemory)(nil)

func newLimitedMemory(limitPages uint32) *limitedMemory {
	return &limitedMemory{limit: uint64(limitPages) * pageSize}
}

// Allocate implements experimental.MemoryAllocator. max is the module's declared maximum or
// wazero's (4 GiB); the try's limit applies on top of it in Reallocate.
//
// capacity is the module's initial size. Reserving a quarter more spares the first grows their
// copy: a Go module grows its memory by ~15 % while its runtime starts, before any user code.
func (m *limitedMemory) Allocate(capacity, _ uint64) experimental.LinearMemory {
	headroom := (capacity/4 + pageSize - 1) / pageSize * pageSize
	m.buf = make([]byte, 0, min(capacity+headroom, m.limit))
	return m
}

// Reallocate implements experimental.LinearMemory. Returning nil makes memory.grow return -1.
func (m *limitedMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		m.refused.CompareAndSwap(0, size)
		if len(m.buf) == 0 && size > 0 {
			// The initial allocation: wazero needs the bytes and cannot fail here. Run checks a
			// module's declared minimum against the limit before instantiating, so this only
			// guards against a mistake there.
			m.buf = make([]byte, size)
			m.peak.Store(size)
		}
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
	} else {
		// What wazero does without an allocator: append copies the old bytes and zeroes only
		// the new ones (a make+copy would zero the whole new buffer first, which costs a Go
		// module ~10 % of its start-up). append may reserve up to ~25 % spare capacity, which
		// is never handed to the module.
		m.buf = append(m.buf, make([]byte, size-uint64(len(m.buf)))...)
	}
	if size > m.peak.Load() {
		m.peak.Store(size)
	}
	return m.buf
}

// Free implements experimental.LinearMemory.
func (m *limitedMemory) Free() { m.buf = nil }

// size is the memory's size in bytes now. Read it only while the guest does not run.
func (m *limitedMemory) size() uint64 { return uint64(len(m.buf)) }

// peakPages is the largest size the memory reached, in pages.
func (m *limitedMemory) peakPages() uint32 { return uint32(m.peak.Load() / pageSize) }

// refusedPages is the size of the first grow refused for the limit, in pages (0: none).
func (m *limitedMemory) refusedPages() uint32 {
	return uint32((m.refused.Load() + pageSize - 1) / pageSize)
}

// limitPages turns a byte limit into pages: rounded down, at least one page, at most 4 GiB.
func limitPages(bytes int64) uint32 {
	p := bytes / pageSize
	switch {
	case p < 1:
		return 1
	case p > maxPages:
		return maxPages
	}
	return uint32(p)
}

// memoryBudget admits tries against the process's cap on the memory limits of the tries it
// runs at once (Config.MaxTaskMemory). Each try's own limit bounds its linear memory; this
// bounds their sum, so that 32 tries of 1 GiB cannot all start on a machine with 8. Admission
// is first come, first served: a try that does not fit waits, and so does every try that
// comes after it, so a stream of small tries cannot starve a big one.
type memoryBudget struct {
	limit int64 // bytes

	mu    sync.Mutex
	used  int64
	queue []*memoryWaiter // oldest first
}

type memoryWaiter struct {
	n     int64
	ready chan struct{} // closed once admitted
}

// acquire waits until n bytes fit, first come first served, and returns the function that
// gives them back. waiting is called, before acquire blocks, with the bytes in use and the
// tries ahead. n must be at most the limit. The error is ctx's cause.
func (b *memoryBudget) acquire(ctx context.Context, n int64, waiting func(used int64, ahead int)) (release func(), err error) {
	b.mu.Lock()
	if len(b.queue) == 0 && b.used+n <= b.limit {
		b.used += n
		b.mu.Unlock()
		return b.releaser(n), nil
	}
	w := &memoryWaiter{n: n, ready: make(chan struct{})}
	b.queue = append(b.queue, w)
	used, ahead := b.used, len(b.queue)-1
	b.mu.Unlock()
	if waiting != nil {
		waiting(used, ahead)
	}
	select {
	case <-w.ready:
		return b.releaser(n), nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	select {
	case <-w.ready: // admitted while ctx ended: hand the bytes on
		b.used -= n
	default:
		b.queue = slices.DeleteFunc(b.queue, func(q *memoryWaiter) bool { return q == w })
	}
	b.admit() // the head may have changed
	b.mu.Unlock()
	return nil, context.Cause(ctx)
}

func (b *memoryBudget) releaser(n int64) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.used -= n
			b.admit()
			b.mu.Unlock()
		})
	}
}

// admit starts the waiting tries that fit, oldest first, stopping at the first that does not.
// b.mu is held.
func (b *memoryBudget) admit() {
	for len(b.queue) > 0 && b.used+b.queue[0].n <= b.limit {
		w := b.queue[0]
		b.queue = b.queue[1:]
		b.used += w.n
		close(w.ready)
	}
}

// tryHold takes n bytes only if they fit now and no try waits, and never queues: the warm pool
// (pool.go) holds its instances' memory this way, so that a try never queues behind one.
func (b *memoryBudget) tryHold(n int64) (*memoryHold, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) > 0 || b.used+n > b.limit {
		return nil, false
	}
	b.used += n
	return &memoryHold{b: b, n: n}, true
}

// queued reports whether a try waits for memory.
func (b *memoryBudget) queued() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue) > 0
}

// memoryHold is bytes of a memoryBudget held by tryHold.
type memoryHold struct {
	b *memoryBudget
	n int64 // guarded by b.mu
}

// shrink gives back what the hold has over n bytes (a warm instance holds its limit while it
// starts, then only the memory it has, which cannot grow while it waits for a try).
func (h *memoryHold) shrink(n int64) {
	h.b.mu.Lock()
	defer h.b.mu.Unlock()
	if n < h.n {
		h.b.used -= h.n - n
		h.n = n
		h.b.admit()
	}
}

// release gives the bytes back; a second release is a no-op.
func (h *memoryHold) release() { h.shrink(0) }

// inUse is the bytes admitted now.
func (b *memoryBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Fallbacks of DefaultMaxTaskMemory where the machine's memory cannot be read.
const assumedMachineMemory = 8 << 30

// DefaultMaxTaskMemory is the default of Config.MaxTaskMemory: half of this machine's memory,
// or of the cgroup's memory limit when it is smaller (a container), leaving the rest to the
// process itself (compiled code, the scheduler, the API) and to everything else on the host.
// Where neither can be read (not Linux), it assumes 8 GiB.
func DefaultMaxTaskMemory() int64 {
	total := physicalMemory()
	if total <= 0 {
		total = assumedMachineMemory
	}
	if c := cgroupMemoryLimit(); c > 0 && c < total {
		total = c
	}
	return total / 2
}

// physicalMemory is MemTotal from /proc/meminfo, in bytes; 0 if unknown.
func physicalMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest) // "16318844 kB"
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}

// cgroupMemoryLimit is this process's cgroup memory limit (v2 memory.max, else v1's
// memory.limit_in_bytes), in bytes; 0 if none or unknown.
func cgroupMemoryLimit() int64 {
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 { // v1 says "no limit" with a huge number
			return 0
		}
		return n
	}
	return 0
}
