package runtime

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// compiled is one module digest's compiled code, shared by every try of it.
type compiled struct {
	digest string
	ready  chan struct{} // closed when mod or err is set
	mod    wazero.CompiledModule
	err    error // a compile error: the module's fault, kept so that retries do not recompile

	// Guarded by modules.mu.
	users int           // tries running it; it is not closed while > 0
	elem  *list.Element // its place in modules.lru
}

// modules holds compiled modules by digest, evicting the least recently used idle ones past max.
// The on-disk compilation cache keeps evicted ones cheap to bring back.
type modules struct {
	rt  wazero.Runtime
	max int

	mu    sync.Mutex
	byKey map[string]*compiled
	lru   *list.List // of *compiled, most recently used first
}

func newModules(rt wazero.Runtime, max int) *modules {
	return &modules{rt: rt, max: max, byKey: map[string]*compiled{}, lru: list.New()}
}

// Digest is the hex sha256 of a module, as Try.ModuleSHA256 and Result.ModuleSHA256 hold it.
// Compute it once when the module's file is read, and pass it with every try.
func Digest(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	return hex.EncodeToString(sum[:])
}

// acquire returns the compiled module for wasm, compiling it on first use. Concurrent first
// uses compile once. The caller must release it. The error is the host's (e.g. a digest
// mismatch); a module that does not compile is reported in c.err.
func (m *modules) acquire(ctx context.Context, wasm []byte, digest string) (*compiled, error) {
	given := digest != ""
	if !given {
		digest = Digest(wasm)
	}
	if c := m.hit(digest); c != nil {
		<-c.ready
		return c, nil
	}
	if given {
		if got := Digest(wasm); got != digest {
			return nil, fmt.Errorf("module digest: given sha256 %s, the bytes hash to %s", digest, got)
		}
	}
	m.mu.Lock()
	if c, ok := m.byKey[digest]; ok { // compiled by another try meanwhile
		c.users++
		m.lru.MoveToFront(c.elem)
		m.mu.Unlock()
		<-c.ready
		return c, nil
	}
	c := &compiled{digest: digest, ready: make(chan struct{}), users: 1}
	c.elem = m.lru.PushFront(c)
	m.byKey[digest] = c
	m.evictLocked(ctx)
	m.mu.Unlock()

	// Compile outside the lock; others wanting this digest wait on ready.
	// Not the try's context: the result is shared and cached, whoever asked first.
	c.mod, c.err = compileBounded(context.WithoutCancel(ctx), m.rt, wasm)
	if c.err == nil {
		c.err = checkContract(c.mod)
	}
	close(c.ready)
	return c, nil
}

// compileBounded compiles wasm with its tables bounded (see MaxTableEntries). A module whose
// tables cannot be bounded is refused, unless it does not compile at all: the compiler's reason
// is then the one to give.
func compileBounded(ctx context.Context, rt wazero.Runtime, wasm []byte) (wazero.CompiledModule, error) {
	bounded, tablesErr := boundTables(wasm)
	if tablesErr != nil {
		bounded = wasm
	}
	bounded = mergeData(bounded) // instantiating is one copy, not one per segment
	mod, err := rt.CompileModule(ctx, bounded)
	if err != nil {
		return nil, err
	}
	if tablesErr != nil {
		_ = mod.Close(ctx)
		return nil, tablesErr
	}
	return mod, nil
}

// hit returns the module for digest, taken for one more user, or nil.
func (m *modules) hit(digest string) *compiled {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.byKey[digest]
	if !ok {
		return nil
	}
	c.users++
	m.lru.MoveToFront(c.elem)
	return c
}

// release ends one try's use of c.
func (m *modules) release(ctx context.Context, c *compiled) {
	m.mu.Lock()
	c.users--
	m.evictLocked(ctx)
	m.mu.Unlock()
}

// evictLocked closes the least recently used idle modules while there are more than max.
func (m *modules) evictLocked(ctx context.Context) {
	for e := m.lru.Back(); e != nil && m.lru.Len() > m.max; {
		c := e.Value.(*compiled)
		prev := e.Prev()
		if c.users == 0 {
			m.lru.Remove(e)
			delete(m.byKey, c.digest)
			if c.mod != nil {
				_ = c.mod.Close(ctx)
			}
		}
		e = prev
	}
}

// len is the number of modules held, for tests.
func (m *modules) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len()
}

// checkContract refuses, before any try, a module that cannot run as a task: no `_start`, or
// imports that WASI preview1 and the wasmflow host module do not provide as imported.
func checkContract(mod wazero.CompiledModule) error {
	var errs []error
	if _, ok := mod.ExportedFunctions()["_start"]; !ok {
		errs = append(errs, errors.New("no _start export: a task must be a WASI command module (a program with a main function), not a library or reactor"))
	}
	bad, err := badImports(mod)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		errs = append(errs, fmt.Errorf("imports the host does not provide: %s (only %s and %s are available%s)",
			strings.Join(bad, ", "), wasi_snapshot_preview1.ModuleName, HostModuleName, preview2Hint(bad)))
	}
	return errors.Join(errs...)
}

// preview2Hint says what to do about imports of a later WASI, the likeliest mistake.
func preview2Hint(bad []string) string {
	for _, b := range bad {
		if strings.HasPrefix(b, "wasi:") || strings.HasPrefix(b, "wasi_snapshot_preview2.") || strings.HasPrefix(b, "wasi_unstable.") {
			return "; build for WASI preview1, e.g. GOOS=wasip1 GOARCH=wasm or --target wasm32-wasip1"
		}
	}
	return ""
}

// minPages is the memory the module needs before it runs, in pages.
func minPages(mod wazero.CompiledModule) uint32 {
	var n uint32
	for _, d := range mod.ExportedMemories() {
		n = max(n, d.Min())
	}
	return n
}
