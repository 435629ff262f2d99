package runtime

import (
	"errors"
	"fmt"
	"strings"
)

// MaxTableEntries caps the entries a module's tables may hold, all its tables together: 1 Mi
// entries, 8 MiB of the host's memory.
//
// A wasm table lives on the host's Go heap (wazero keeps 8 bytes an entry), outside the linear
// memory that memory_limit and core.max_task_memory bound, and with reference types (on in
// wazero, and emitted by Rust's LLVM) `table.grow` may grow it to its declared maximum, or to
// 2^32-1 entries (32 GiB) when it declares none, as Go's linker does. So the tables are bounded
// where the module is compiled: a module whose tables start bigger is refused, and the tables'
// maxima are lowered so that together they cannot grow past the cap. A table.grow beyond that
// returns -1, as WebAssembly lets any table.grow do; real modules grow no table (their one
// function table holds a few thousand entries).
const MaxTableEntries = 1 << 20

// tableType is what the bound needs of a declared or imported table.
type tableType struct {
	index    int // in the module's table index space, imports first
	imported string
	min, max uint64
	hasMax   bool
	flags    byte
	// limits is where the table's limits are in the module's bytes, [limits[0], limits[1]),
	// for a declared table.
	limits [2]int
}

// sectionSpan is where a section is in the module's bytes: its id at start, its body from body to
// end.
type sectionSpan struct{ start, body, end int }

// checkTables reports why a module's tables cannot run as a task's (see MaxTableEntries), or
// nil. wasm must compile: an error is the module's fault.
func checkTables(wasm []byte) error {
	_, err := boundTables(wasm)
	return err
}

// boundTables returns wasm with its tables' maxima lowered so that they hold MaxTableEntries
// at most, all together (wasm itself when they already do), or why the module cannot be
// bounded so: its tables start bigger, or it imports one.
func boundTables(wasm []byte) ([]byte, error) {
	tables, sec, err := moduleTables(wasm)
	if err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	var problems []string
	var initial uint64
	for _, t := range tables {
		if t.imported != "" {
			problems = append(problems, fmt.Sprintf("table %d is imported from %s, and the host provides no table", t.index, t.imported))
		}
		if t.hasMax && t.max < t.min {
			return wasm, nil // invalid: left to the compiler to say so
		}
		initial += min(t.min, 1<<32) // a valid one is a u32; clamped against overflow
	}
	if initial > MaxTableEntries {
		problems = append(problems, fmt.Sprintf("its tables start with %d entries (%s of the host's memory, outside memory_limit), over the limit of %d (%s)",
			initial, byteSize(int64(initial*8)), MaxTableEntries, byteSize(MaxTableEntries*8)))
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return lowerMaxima(wasm, tables, sec, MaxTableEntries-initial), nil
}

// lowerMaxima gives each table, in order, what is left of room to grow by, up to its declared
// maximum, and rewrites the table section when a maximum changes.
func lowerMaxima(wasm []byte, tables []tableType, sec sectionSpan, room uint64) []byte {
	var body []byte
	at := sec.body
	for _, t := range tables {
		grow := room
		if t.hasMax {
			grow = min(room, t.max-t.min)
		}
		room -= grow
		if t.hasMax && t.max == t.min+grow {
			continue
		}
		body = append(body, wasm[at:t.limits[0]]...)
		body = append(body, t.flags|1) // a maximum follows
		body = appendLEB(body, t.min)
		body = appendLEB(body, t.min+grow)
		at = t.limits[1]
	}
	if body == nil {
		return wasm
	}
	body = append(body, wasm[at:sec.end]...)
	out := make([]byte, 0, len(wasm)+16)
	out = append(out, wasm[:sec.start+1]...) // up to the section's id
	out = appendLEB(out, uint64(len(body)))
	out = append(out, body...)
	return append(out, wasm[sec.end:]...)
}

func appendLEB(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// WebAssembly binary format, the parts moduleTables reads.
const (
	sectionImport = 2
	sectionTable  = 4

	externFunc   = 0x00
	externTable  = 0x01
	externMemory = 0x02
	externGlobal = 0x03
	externTag    = 0x04

	refNullable    = 0x63 // (ref null ht), ht a signed LEB128 heap type
	refNonNullable = 0x64 // (ref ht)
	tableWithInit  = 0x40 // 0x40 0x00 tabletype expr: a table with an initializer (function references)
)

// moduleTables reads the tables of a module, imported and declared, from its import and table
// sections, and where its table section is. It skips every other section by its size, so it
// costs a pass over the import section and little else.
func moduleTables(wasm []byte) ([]tableType, sectionSpan, error) {
	var sec sectionSpan
	if len(wasm) < 8 {
		return nil, sec, errors.New("not a module")
	}
	r := &wasmReader{b: wasm, at: 8}
	var tables []tableType
	for r.err == nil && r.at < len(wasm) {
		start := r.at
		id := r.byte()
		size := r.u32()
		body := r.at
		r.bytes(size)
		if r.err != nil {
			break
		}
		s := &wasmReader{b: wasm[:r.at], at: body}
		switch id {
		case sectionImport:
			for n := s.u32(); n > 0 && s.err == nil; n-- {
				mod, name := s.name(), s.name()
				switch s.byte() {
				case externFunc:
					s.u32()
				case externTable:
					t := s.tableType()
					t.index, t.imported = len(tables), mod+"."+name
					tables = append(tables, t)
				case externMemory:
					s.limits()
				case externGlobal:
					s.valType()
					s.byte() // mutability
				case externTag:
					s.byte() // attribute
					s.u32()
				default:
					s.fail("unknown import kind")
				}
			}
		case sectionTable:
			for n := s.u32(); n > 0 && s.err == nil; n-- {
				t := s.tableType()
				t.index = len(tables)
				tables = append(tables, t)
			}
			sec = sectionSpan{start: start, body: body, end: r.at}
		}
		if s.err != nil {
			return nil, sec, fmt.Errorf("section %d: %w", id, s.err)
		}
	}
	return tables, sec, r.err
}

// wasmReader reads the binary format; its first error sticks and every later read returns 0.
// b ends where the part being read ends (a section's body), at is the offset of the next byte.
type wasmReader struct {
	b   []byte
	at  int
	err error
}

func (r *wasmReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at offset %d", what, r.at)
	}
	r.at = len(r.b)
}

func (r *wasmReader) byte() byte {
	if r.at >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[r.at]
	r.at++
	return c
}

func (r *wasmReader) bytes(n uint64) []byte {
	if uint64(len(r.b)-r.at) < n {
		r.fail("unexpected end")
		return nil
	}
	b := r.b[r.at : r.at+int(n)]
	r.at += int(n)
	return b
}

// leb reads an LEB128 number of up to 10 bytes; signed or not, the callers only skip or
// compare it.
func (r *wasmReader) leb() uint64 {
	var v uint64
	for shift := 0; shift < 70; shift += 7 {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.fail("LEB128 number too long")
	return 0
}

func (r *wasmReader) u32() uint64 { return r.leb() }

func (r *wasmReader) name() string { return string(r.bytes(r.u32())) }

// limits reads a limits type: a flags byte (bit 0: a maximum follows; bit 1: shared; bit 2:
// 64-bit; bit 3: a page size follows), the minimum, the maximum.
func (r *wasmReader) limits() (flags byte, min, max uint64, hasMax bool) {
	flags = r.byte()
	min = r.leb()
	if hasMax = flags&1 != 0; hasMax {
		max = r.leb()
	}
	if flags&8 != 0 {
		r.leb()
	}
	return flags, min, max, hasMax
}

// valType skips a value type: one byte, or a reference type's prefix and heap type.
func (r *wasmReader) valType() {
	if c := r.byte(); c == refNullable || c == refNonNullable {
		r.leb()
	}
}

func (r *wasmReader) tableType() tableType {
	withInit := r.at+1 < len(r.b) && r.b[r.at] == tableWithInit && r.b[r.at+1] == 0
	if withInit {
		r.bytes(2)
	}
	r.valType()
	var t tableType
	t.limits[0] = r.at
	t.flags, t.min, t.max, t.hasMax = r.limits()
	t.limits[1] = r.at
	if withInit {
		r.constExpr()
	}
	return t
}

// constExpr skips a constant expression up to its end opcode. A table's initializer may only
// be one: constants, global.get, ref.null, ref.func and extended-const arithmetic.
func (r *wasmReader) constExpr() {
	for r.err == nil {
		switch op := r.byte(); op {
		case 0x0b: // end
			return
		case 0x41, 0x42, 0x23, 0xd0, 0xd2: // i32.const, i64.const, global.get, ref.null, ref.func
			r.leb()
		case 0x43: // f32.const
			r.bytes(4)
		case 0x44: // f64.const
			r.bytes(8)
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // i32/i64 add, sub, mul
		default:
			r.fail(fmt.Sprintf("table initializer opcode %#x not understood", op))
		}
	}
}
