package runtime

import "slices"

// Go's linker splits a module's data into up to 100,000 segments, leaving out the runs of zeros
// between them to keep the file small: the script operator's module has 100,000 segments for
// 9 MB of data, the Go no-op module 21,000. wazero evaluates each segment's offset and copies
// it at every instantiation, which for the script module was two thirds of instantiating it
// (~12 ms of its ~17 here). mergeData joins the segments, filling the gaps with the zeros the
// memory holds anyway: the memory a module starts with is the same, and instantiating it is
// one copy.

// mergeGap is the widest run of zeros mergeData writes to join two segments: a few KiB of
// zeros cost less to copy than a segment's own overhead, and the module grows only by them.
const mergeGap = 4 << 10

// Sections mergeData reads.
const (
	sectionData      = 11
	sectionDataCount = 12
)

// dataSegment is an active segment of memory 0 at a constant offset.
type dataSegment struct {
	offset uint32
	data   []byte
	owned  bool // data is a copy, not the module's bytes
}

// mergeData returns wasm with its data segments merged where less than mergeGap bytes lie
// between them, or wasm itself when there is nothing to merge or a segment it must leave as it
// is: a passive one, one of another memory, an offset that is not an i32.const, or a data count
// section (memory.init and data.drop name segments by their index), or overlapping segments.
func mergeData(wasm []byte) []byte {
	sec, ok := dataSection(wasm)
	if !ok {
		return wasm
	}
	segs, ok := dataSegments(wasm[sec.body:sec.end])
	if !ok || len(segs) < 2 {
		return wasm
	}
	slices.SortStableFunc(segs, func(a, b dataSegment) int { return int(int64(a.offset) - int64(b.offset)) })
	merged := []dataSegment{segs[0]}
	for _, s := range segs[1:] {
		last := &merged[len(merged)-1]
		end := uint64(last.offset) + uint64(len(last.data))
		switch {
		case uint64(s.offset) < end:
			return wasm // overlapping: the order they are written in matters
		case uint64(s.offset)-end < mergeGap:
			if !last.owned { // its bytes are the module's: append to a copy
				last.data, last.owned = slices.Clone(last.data), true
			}
			last.data = append(last.data, make([]byte, uint64(s.offset)-end)...)
			last.data = append(last.data, s.data...)
		default:
			merged = append(merged, s)
		}
	}
	if len(merged) == len(segs) {
		return wasm
	}
	body := appendLEB(nil, uint64(len(merged)))
	for _, s := range merged {
		body = append(body, 0x00, 0x41) // active, memory 0; i32.const
		body = appendSLEB32(body, int32(s.offset))
		body = append(body, 0x0b) // end
		body = appendLEB(body, uint64(len(s.data)))
		body = append(body, s.data...)
	}
	out := make([]byte, 0, len(wasm)-(sec.end-sec.body)+len(body)+8)
	out = append(out, wasm[:sec.start+1]...) // up to the section's id
	out = appendLEB(out, uint64(len(body)))
	out = append(out, body...)
	return append(out, wasm[sec.end:]...)
}

// dataSection finds the data section; ok is false without one, with a data count section, or
// when the module cannot be read (the compiler then says why).
func dataSection(wasm []byte) (sec sectionSpan, ok bool) {
	if len(wasm) < 8 {
		return sec, false
	}
	r := &wasmReader{b: wasm, at: 8}
	for r.err == nil && r.at < len(wasm) {
		start := r.at
		id := r.byte()
		size := r.u32()
		body := r.at
		r.bytes(size)
		switch {
		case r.err != nil, id == sectionDataCount:
			return sec, false
		case id == sectionData:
			sec, ok = sectionSpan{start: start, body: body, end: r.at}, true
		}
	}
	return sec, ok && r.err == nil
}

// dataSegments reads a data section's body; ok is false when a segment is not an active one of
// memory 0 at an i32.const offset.
func dataSegments(body []byte) (segs []dataSegment, ok bool) {
	r := &wasmReader{b: body}
	n := r.u32()
	if n > uint64(len(body)) { // each segment takes bytes: a count past them is corrupt
		return nil, false
	}
	segs = make([]dataSegment, 0, n)
	for ; n > 0 && r.err == nil; n-- {
		if r.byte() != 0x00 || r.byte() != 0x41 { // active, memory 0; i32.const
			return nil, false
		}
		offset := r.sleb32()
		if r.byte() != 0x0b {
			return nil, false
		}
		data := r.bytes(r.u32())
		segs = append(segs, dataSegment{offset: uint32(offset), data: data})
	}
	return segs, r.err == nil && r.at == len(body)
}

// sleb32 reads a signed LEB128 number of up to 5 bytes, as i32.const holds it.
func (r *wasmReader) sleb32() int32 {
	var v int64
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= int64(c&0x7f) << shift
		if c&0x80 == 0 {
			if shift+7 < 64 && c&0x40 != 0 {
				v |= -1 << (shift + 7)
			}
			return int32(v)
		}
	}
	r.fail("LEB128 number too long")
	return 0
}

func appendSLEB32(b []byte, v int32) []byte {
	x := int64(v)
	for {
		c := byte(x & 0x7f)
		x >>= 7
		if x == 0 && c&0x40 == 0 || x == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
