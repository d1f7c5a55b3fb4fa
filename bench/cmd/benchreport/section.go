package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

const (
	startMarker = "<!-- benchreport:start -->"
	endMarker   = "<!-- benchreport:end -->"
)

// writeSection replaces the text between the markers in path (appending them if absent).
func writeSection(path, text string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s := string(old)
	block := startMarker + "\n" + text + endMarker
	if i, j := strings.Index(s, startMarker), strings.Index(s, endMarker); i >= 0 && j > i {
		s = s[:i] + block + s[j+len(endMarker):]
	} else {
		s = strings.TrimRight(s, "\n") + "\n\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

// cell is a benchmark's median in unit with its confidence interval, or a dash if it was not
// measured (skipped).
func cell(r runs, name, unit string) string {
	s, ok := r.results[name][unit]
	if !ok {
		return "—"
	}
	return human(s.Center, unit) + " ± " + s.PctRangeString()
}

// human formats v, in a unit as benchfmt tidies it (seconds for time).
func human(v float64, unit string) string {
	switch {
	case strings.HasPrefix(unit, "sec/"): // sec/op, and metrics such as ns/retag
		switch ns := v * 1e9; {
		case ns >= 1e6:
			return fmt.Sprintf("%.2f ms", ns/1e6)
		case ns >= 1e3:
			return fmt.Sprintf("%.1f µs", ns/1e3)
		default:
			return fmt.Sprintf("%.1f ns", ns)
		}
	case strings.HasSuffix(unit, "-B/secret"):
		return strconv.FormatFloat(v, 'f', 1, 64) + " B"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
}

func section(r runs, m machine) string {
	var b strings.Builder
	runs := fmt.Sprintf("%d runs", m.count)
	if m.count == 1 {
		runs = "1 run"
	}
	fmt.Fprintf(&b, "## Latest generated run\n\nWritten by `go run ./cmd/benchreport` (in `bench/`). "+
		"Machine and mode: %s. Medians of %s ± their 95%% confidence interval, as benchmath "+
		"(benchstat) computes them. Mode %s: what the library chose for the arenas on this machine "+
		"(arena.Mode); the softreg column is the benchmark build (`-tags pkeyarena_softreg`), which "+
		"protects nothing.\n\n", m, runs, m.mode)
	b.WriteString("![Alloc+Free](bench-allocfree.svg) ![Memory per secret](bench-memory.svg) " +
		"![Open+close a region](bench-enterexit.svg)\n\n")
	b.WriteString("| Alloc+Free | Go heap | pkeyarena | " +
		"pkeyarena, softreg (PKU path, no register cost) | memguard |\n" +
		"| --- | --- | --- | --- | --- |\n")
	for _, n := range []string{"32", "256", "4096"} {
		soft := "—"
		if n == "32" {
			soft = cell(r, "softreg/AllocFree32", "sec/op")
		}
		fmt.Fprintf(&b, "| %s B | %s | %s | %s | %s |\n", n, cell(r, "AllocFree/heap/"+n, "sec/op"),
			cell(r, "AllocFree/pkeyarena/"+n, "sec/op"), soft,
			cell(r, "AllocFree/memguard/"+n, "sec/op"))
	}
	b.WriteString("\n| 32-byte secrets | pkeyarena resident / locked per secret | " +
		"memguard resident / locked per secret |\n| --- | --- | --- |\n")
	for _, n := range []string{"1000", "10000", "100000"} {
		mg := cell(r, "MemoryPerSecret/memguard/"+n, "resident-B/secret") + " / " +
			cell(r, "MemoryPerSecret/memguard/"+n, "locked-B/secret")
		if _, ok := r.results["MemoryPerSecret/memguard/"+n]; !ok {
			mg = "skipped (see the benchmark's skip reason: vm.max_map_count or RLIMIT_MEMLOCK)"
		}
		fmt.Fprintf(&b, "| %s | %s / %s | %s |\n", n,
			cell(r, "MemoryPerSecret/pkeyarena/"+n, "resident-B/secret"),
			cell(r, "MemoryPerSecret/pkeyarena/"+n, "locked-B/secret"), mg)
	}
	b.WriteString("\n| open+close a region | mprotect pair (locked, populated) | " +
		"domain Enter+Exit |\n| --- | --- | --- |\n")
	for _, size := range regionSizes {
		for _, busy := range []string{"0", "1", "2"} {
			fmt.Fprintf(&b, "| %s, %s busy | %s | %s |\n", size, busy,
				cell(r, "EnterExitVsMprotect/mprotect/"+size+"/busy="+busy, "sec/op"),
				cell(r, "EnterExitVsMprotect/domain/"+size+"/busy="+busy, "sec/op"))
		}
	}
	b.WriteString(hardwareTables(r))
	fmt.Fprintf(&b, "\nEnter+Exit library overhead (softreg): %s, "+
		"against a LockOSThread+UnlockOSThread pair of %s.\n",
		cell(r, "softreg/EnterExitSoftware", "sec/op"), cell(r, "softreg/LockOSThread", "sec/op"))
	if ws := r.warnings(); len(ws) > 0 {
		fmt.Fprintf(&b, "\nbenchmath: %s (± ∞ above).\n", strings.Join(ws, "; "))
	}
	return b.String()
}

var regionSizes = []string{"4KiB", "64KiB", "1MiB", "16MiB"}
