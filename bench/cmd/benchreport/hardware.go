package main

import (
	"fmt"
	"strings"
)

// ratio is a's median over b's, in unit, or a dash if either was not measured.
func ratio(r runs, a, b, unit string, scale float64) string {
	x, ok1 := r.results[a][unit]
	y, ok2 := r.results[b][unit]
	if !ok1 || !ok2 || y.Center == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f ×", x.Center/(y.Center*scale))
}

// row is one line of a table against a yardstick: what it measures, and the benchmark.
type row struct{ what, name string }

// againstTable writes a table of each row's time and its ratio to the yardstick benchmark base.
func againstTable(b *strings.Builder, r runs, title, base string, rows []row) {
	fmt.Fprintf(b, "\n| %s | time | × %s |\n| --- | --- | --- |\n", title, rows[0].what)
	for _, row := range rows {
		fmt.Fprintf(b, "| %s | %s | %s |\n", row.what, cell(r, row.name, "sec/op"),
			ratio(r, row.name, base, "sec/op", 1))
	}
}

// hardwareTables are the figures the budgets are checked against: Enter+Exit against the
// register floor, Alloc+Free against the heap, a key miss against its pkey_mprotect calls, and
// scaling from one goroutine to two. Dashes mark benchmarks that skipped (the floor, the miss and
// pkey_mprotect need protection keys).
func hardwareTables(r runs) string {
	var b strings.Builder
	const t = "sec/op"
	againstTable(&b, r, "per-thread switch", "lib/RegisterFloor", []row{
		{"the floor (RDPKRU + 2 WRPKRU)", "lib/RegisterFloor"},
		{"LockOSThread + UnlockOSThread", "lib/LockOSThread"},
		{"the floor with Enter+Exit's guarantees (thread locked, register read before each write)",
			"lib/SwitchFloor"},
		{"Enter+Exit, virtual key", "lib/EnterExit"},
		{"Enter+Exit, `DedicatedKey`", "lib/EnterExitDedicated"},
	})
	againstTable(&b, r, "Alloc+Free 32 B", "lib/HeapMake32", []row{
		{"`make([]byte, 32)`", "lib/HeapMake32"},
		{"four uncontended lock operations", "lib/LockFloor"},
		{"Alloc+Free, virtual key", "lib/AllocFree32"},
		{"Alloc+Free, `DedicatedKey`", "lib/AllocFree32Dedicated"},
	})
	fmt.Fprintf(&b, "\nA key miss: %s for two (one per Enter, each parking one arena and binding "+
		"the other: two `pkey_mprotect` calls), %s per re-tag; one `pkey_mprotect` of a locked "+
		"64 KiB region: %s, so a miss costs %s its two calls. An mprotect pair of the same "+
		"region: %s.\n", cell(r, "lib/KeyMiss", t), cell(r, "lib/KeyMiss", "sec/retag"),
		cell(r, "lib/PkeyMprotect", t), ratio(r, "lib/KeyMiss", "lib/PkeyMprotect", t, 4),
		cell(r, "lib/MprotectPairLocked", t))
	b.WriteString("\n| from GOMAXPROCS goroutines at once | 1 | 2 | throughput at 2, × 1 |\n" +
		"| --- | --- | --- | --- |\n")
	for _, row := range []row{
		{"Enter+Exit of one domain, virtual key", "EnterExitParallel"},
		{"Enter+Exit of one domain, `DedicatedKey`", "EnterExitDedicatedParallel"},
		{"Alloc+Free 32 B in one arena", "AllocFree32Parallel"},
	} {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row.what, cell(r, "cpu1/"+row.name, t),
			cell(r, "cpu2/"+row.name, t), ratio(r, "cpu1/"+row.name, "cpu2/"+row.name, t, 1))
	}
	b.WriteString("\n(ns/op of a parallel benchmark is wall time per operation across all " +
		"goroutines, so a throughput of 2 × means perfect scaling.)\n")
	return b.String()
}
