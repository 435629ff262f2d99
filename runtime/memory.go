package runtime

import (
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
