package runtime

import (
	"bytes"
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// TestMergeDataSameMemory: the modules the runner compiles with their data segments merged
// start with the very memory the original modules start with, and have far fewer segments.
func TestMergeDataSameMemory(t *testing.T) {
	ctx := context.Background()
	cache, err := wazero.NewCompilationCacheWithDir(testCacheDir)
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	if err := instantiateHostModule(ctx, rt); err != nil {
		t.Fatal(err)
	}
	memory := func(wasm []byte) []byte {
		t.Helper()
		c, err := rt.CompileModule(ctx, wasm)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		m, err := rt.InstantiateModule(ctx, c, wazero.NewModuleConfig().WithName("").WithStartFunctions())
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close(ctx)
		b, _ := m.Memory().Read(0, m.Memory().Size())
		return bytes.Clone(b)
	}
	for _, name := range []string{"noop", "hostio"} {
		wasm := goModule(t, name)
		merged := mergeData(wasm)
		before, after := segmentCount(t, wasm), segmentCount(t, merged)
		if after*100 > before {
			t.Errorf("%s: %d data segments merged into %d", name, before, after)
		}
		if !bytes.Equal(memory(wasm), memory(merged)) {
			t.Errorf("%s: the merged module starts with another memory", name)
		}
	}
}

// TestMergeDataLeavesAlone: segments mergeData must not touch stay as they are, and segments
// too far apart stay apart.
func TestMergeDataLeavesAlone(t *testing.T) {
	active := func(offset int32, data string) []byte {
		return append(append(appendSLEB32([]byte{0x00, 0x41}, offset), 0x0b, byte(len(data))), data...)
	}
	for _, tc := range []struct {
		name string
		segs [][]byte
		same bool
		want int // segments after
	}{
		{"close", [][]byte{active(100, "bb"), active(16, "aaaa"), active(40, "c")}, false, 1},
		{"far apart", [][]byte{active(16, "a"), active(16+2*mergeGap, "b"), active(20, "c")}, false, 2},
		{"overlapping", [][]byte{active(16, "aaaa"), active(18, "b")}, true, 2},
		{"passive", [][]byte{active(16, "a"), {0x01, 1, 'p'}}, true, 2},
		{"offset from a global", [][]byte{active(16, "a"), {0x00, 0x23, 0x00, 0x0b, 1, 'g'}}, true, 2},
	} {
		wasm := moduleWithData(tc.segs...)
		got := mergeData(wasm)
		if same := bytes.Equal(got, wasm); same != tc.same || segmentCount(t, got) != tc.want {
			t.Errorf("%s: unchanged %v, %d segments; want unchanged %v, %d", tc.name, same, segmentCount(t, got), tc.same, tc.want)
		}
	}
	withCount := moduleWithData(active(16, "a"), active(18, "b"))
	withCount = append(withCount[:len(withCount):len(withCount)], sectionDataCount, 1, 2) // out of order, but mergeData only looks
	if got := mergeData(withCount); !bytes.Equal(got, withCount) {
		t.Error("a module with a data count section was changed")
	}
}

// moduleWithData is a module with one memory of one page and these data segments.
func moduleWithData(segs ...[]byte) []byte {
	wasm := []byte("\x00asm\x01\x00\x00\x00")
	wasm = append(wasm, 5, 3, 1, 0x00, 1) // memory section: one memory, min 1 page
	body := appendLEB(nil, uint64(len(segs)))
	for _, s := range segs {
		body = append(body, s...)
	}
	wasm = append(wasm, sectionData)
	wasm = appendLEB(wasm, uint64(len(body)))
	return append(wasm, body...)
}

func segmentCount(t *testing.T, wasm []byte) int {
	t.Helper()
	sec, ok := dataSection(wasm)
	if !ok {
		t.Fatal("no data section")
	}
	r := &wasmReader{b: wasm[:sec.end], at: sec.body}
	return int(r.u32())
}
