package runtime

import (
	"context"
	goruntime "runtime"
	"strings"
	"testing"
)

// tableGrow is a _start that grows table 0 by delta null funcrefs and traps (unreachable) when
// table.grow returns -1, so a try's state says whether the grow happened.
func tableGrow(delta uint32) []byte {
	return cat(
		[]byte{0xd0, 0x70},       // ref.null func
		[]byte{0x41}, leb(delta), // i32.const delta (as an unsigned LEB: fine below 2^31)
		[]byte{0xfc, 0x0f, 0x00},       // table.grow 0
		[]byte{0x41, 0x7f, 0x46},       // i32.const -1; i32.eq
		[]byte{0x04, 0x40, 0x00, 0x0b}, // if; unreachable; end
	)
}

var (
	tableNoMax     = []byte{0x70, 0x00, 0x00}                  // funcref, min 0, no maximum (as Go's linker emits)
	tableHugeMax   = cat([]byte{0x70, 0x01, 0x00}, leb(1<<31)) // funcref, min 0, max 2^31
	tableHugeStart = cat([]byte{0x70, 0x00}, leb(0x2000000))   // funcref, min 32 Mi entries
)

// A wasm table lives on the host's heap, outside memory_limit and core.max_task_memory: the
// reviewer's module grows one by 32 Mi entries (256 MiB) under a 64 KiB memory limit. Its grow
// must fail without the host's memory growing, whether the table declares no maximum or a huge
// one, while a grow within MaxTableEntries still works.
func TestTableGrowIsBounded(t *testing.T) {
	r := newRunner(t, Config{MaxTaskMemory: 1 << 20})
	for name, table := range map[string][]byte{"no maximum": tableNoMax, "maximum 2^31": tableHugeMax} {
		ok, _ := run(t, r, Try{Module: wasmSpec{table: table, body: tableGrow(1000)}.bytes(), MemoryLimit: 64 << 10})
		if ok.State != StateSuccess {
			t.Fatalf("table of %s: a grow by 1000 entries: %s %s, want success", name, ok.State, ok.Reason)
		}

		mod := wasmSpec{table: table, body: tableGrow(0x2000000)}.bytes()
		var before, after goruntime.MemStats
		goruntime.ReadMemStats(&before)
		res, log := run(t, r, Try{Module: mod, MemoryLimit: 64 << 10})
		goruntime.ReadMemStats(&after)
		if res.State != StateFailed || res.Reason != ReasonTrap+": unreachable" {
			t.Errorf("table of %s: a grow by 32 Mi entries: %s %q, want it refused (the module traps when table.grow returns -1)\n%s",
				name, res.State, res.Reason, log)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
			t.Errorf("table of %s: the host allocated %s for a try of a 64 KiB memory limit, want under 32 MiB", name, byteSize(int64(grew)))
		}
	}
}

// A module whose tables start bigger than MaxTableEntries is refused at upload (CheckModule)
// and at its first try, with the reason, before any table is made.
func TestHugeTableIsRefused(t *testing.T) {
	mod := wasmSpec{table: tableHugeStart}.bytes()
	const why = "its tables start with 33554432 entries (256 MiB of the host's memory, outside memory_limit), over the limit of 1048576 (8 MiB)"
	if err := CheckModule(context.Background(), mod); err == nil || !strings.Contains(err.Error(), why) {
		t.Errorf("CheckModule: %v, want %q", err, why)
	}
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	res, log := run(t, testRunner(t), Try{Module: mod})
	goruntime.ReadMemStats(&after)
	if res.State != StateFailed || !strings.HasPrefix(res.Reason, ReasonCompileError) || !strings.Contains(log, why) {
		t.Errorf("%s %q, want a compile error saying %q:\n%s", res.State, res.Reason, why, log)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Errorf("the host allocated %s, want under 32 MiB", byteSize(int64(grew)))
	}
}

// Real toolchains' modules pass unchanged in what they do: Go's table declares no maximum and
// gets one, C's (wasm-ld) declares min = max and is left alone.
func TestRealModulesTables(t *testing.T) {
	c := cModule(t, "host_c", "host")
	if b, err := boundTables(c); err != nil || &b[0] != &c[0] {
		t.Errorf("clang's module: %v, want it left as it is", err)
	}
	g := goModule(t, "probe")
	b, err := boundTables(g)
	if err != nil {
		t.Fatal(err)
	}
	tables, _, err := moduleTables(b)
	if err != nil || len(tables) != 1 || !tables[0].hasMax || tables[0].max != MaxTableEntries {
		t.Fatalf("Go's module, bounded: %+v %v, want one table of maximum %d", tables, err, MaxTableEntries)
	}
	if err := CheckModule(context.Background(), b); err != nil {
		t.Errorf("Go's module, bounded, no longer checks: %v", err)
	}
}

// A module that imports a table is refused at upload with the reason: no host module provides
// one, so it could not link at its first try.
func TestImportedTableIsRefused(t *testing.T) {
	mod := cat([]byte("\x00asm\x01\x00\x00\x00"),
		section(1, vec([]byte{0x60, 0x00, 0x00})),                                  // type 0: () -> ()
		section(2, vec(cat(name("env"), name("table"), []byte{0x01}, tableNoMax))), // import env.table
		section(3, vec([]byte{0x00})),                                              // func 0: type 0
		section(7, vec(cat(name("_start"), []byte{0x00, 0x00}))),                   // export it as _start
		section(10, vec(cat(leb(2), []byte{0x00, 0x0b}))),                          // no locals; end
	)
	const why = "table 0 is imported from env.table, and the host provides no table"
	if err := CheckModule(context.Background(), mod); err == nil || !strings.Contains(err.Error(), why) {
		t.Errorf("CheckModule: %v, want %q", err, why)
	}
}
