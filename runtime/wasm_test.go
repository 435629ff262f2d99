package runtime

import "strings"

// Tiny modules written in the WebAssembly binary format, for what a compiler will not emit on
// request: traps, a bare busy loop, odd imports, a big initial memory.

// wasmSpec describes a module with one function, func 0 of type () -> ().
type wasmSpec struct {
	body        []byte   // the function's code, without the final `end`
	importEnv   bool     // import env.foo: () -> () (shifts the function to index 1)
	imports     []string // more imports "module.name", each () -> (), after env.foo
	memoryMin   uint32   // > 0: define and export a memory with this many pages
	table       []byte   // a table type (reftype, limits): define one table of it
	export      string   // the function's export name; default "_start"
	startSecton bool     // also run it as the module's start function
}

func (s wasmSpec) bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	out = append(out, section(1, vec([]byte{0x60, 0x00, 0x00}))...) // type 0: () -> ()
	var imports [][]byte
	if s.importEnv {
		imports = append(imports, cat(name("env"), name("foo"), []byte{0x00, 0x00}))
	}
	for _, im := range s.imports {
		mn, fname, _ := strings.Cut(im, ".")
		imports = append(imports, cat(name(mn), name(fname), []byte{0x00, 0x00}))
	}
	fn := byte(len(imports))
	if len(imports) > 0 {
		out = append(out, section(2, vec(imports...))...)
	}
	out = append(out, section(3, vec([]byte{0x00}))...) // func: type 0
	if s.table != nil {
		out = append(out, section(4, vec(s.table))...)
	}
	if s.memoryMin > 0 {
		out = append(out, section(5, vec(cat([]byte{0x00}, leb(s.memoryMin))))...)
	}
	export := s.export
	if export == "" {
		export = "_start"
	}
	exports := [][]byte{cat(name(export), []byte{0x00, fn})}
	if s.memoryMin > 0 {
		exports = append(exports, cat(name("memory"), []byte{0x02, 0x00}))
	}
	out = append(out, section(7, vec(exports...))...)
	if s.startSecton {
		out = append(out, section(8, []byte{fn})...)
	}
	body := cat([]byte{0x00}, s.body, []byte{0x0b}) // no locals, code, end
	out = append(out, section(10, vec(cat(leb(uint32(len(body))), body)))...)
	return out
}

var (
	opUnreachable = []byte{0x00}
	opDivByZero   = []byte{0x41, 0x01, 0x41, 0x00, 0x6d, 0x1a} // i32.const 1; i32.const 0; i32.div_s; drop
	opBusyLoop    = []byte{0x03, 0x40, 0x0c, 0x00, 0x0b}       // loop; br 0; end
)

func section(id byte, payload []byte) []byte {
	return cat([]byte{id}, leb(uint32(len(payload))), payload)
}

func vec(items ...[]byte) []byte { return cat(leb(uint32(len(items))), cat(items...)) }

func name(s string) []byte { return cat(leb(uint32(len(s))), []byte(s)) }

func leb(v uint32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
