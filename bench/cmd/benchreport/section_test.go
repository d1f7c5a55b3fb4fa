package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"
)

func TestSection(t *testing.T) {
	r := summarizeFile(t, "six-runs.txt", "")
	if err := r.add(summarizeFile(t, "one-run.txt", "softreg/")); err != nil {
		t.Fatal(err)
	}
	m := machine{cpu: "AMD EPYC 7B13", vcpus: 2, kernel: "Linux 6.1.0", goVersion: "go1.26.8", mode: labelPKU, date: "2026-12-02", count: 6}
	s := section(r, m)
	for _, want := range []string{
		"Machine and mode: AMD EPYC 7B13, 2 vCPU; Linux 6.1.0; go1.26.8; PKU hardware; 2026-12-02.",
		"Medians of 6 runs ± their 95% confidence interval",
		"Mode PKU hardware:",
		"| 32 B | 102.5 ns ± 7% | — | — | — |",
		"| 1000 | 42.0 B ± ∞ / 41.5 B ± ∞ | skipped",
		"| 100000 | — / — | skipped",
		"| 4KiB, 0 busy | — | 56.2 µs ± ∞ |",
		"overhead (softreg): 35.0 ns ± ∞, against a LockOSThread+UnlockOSThread pair of 20.0 ns ± ∞.",
		"| the floor (RDPKRU + 2 WRPKRU) | — | — |",
		"| per-thread switch | time | × the floor (RDPKRU + 2 WRPKRU) |",
		"| from GOMAXPROCS goroutines at once | 1 | 2 | throughput at 2, × 1 |",
		"benchmath: need >= 6 samples for confidence interval at level 0.95 (± ∞ above).",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("section lacks %q:\n%s", want, s)
		}
	}
}

// A -quick report says "1 run", and that no interval could be given.
func TestSectionOneRun(t *testing.T) {
	r := summarizeFile(t, "one-run.txt", "softreg/")
	s := section(r, machine{mode: labelMprotect, count: 1})
	if !strings.Contains(s, "Medians of 1 run ± their 95% confidence interval") ||
		!strings.Contains(s, "Mode Mprotect:") || !strings.Contains(s, "35.0 ns ± ∞") {
		t.Errorf("one-run section:\n%s", s)
	}
}

func TestHuman(t *testing.T) {
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{24.5e-9, "sec/op", "24.5 ns"},
		{2.04e-6, "sec/op", "2.0 µs"},
		{1.049e-3, "sec/op", "1.05 ms"},
		{4.2e-6, "sec/retag", "4.2 µs"},
		{41.36, "locked-B/secret", "41.4 B"},
		{3, "regions", "3.0 regions"},
	}
	for _, tt := range tests {
		if got := human(tt.v, tt.unit); got != tt.want {
			t.Errorf("human(%g, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}

// The generated section replaces only what lies between the markers, or is appended.
func TestWriteSection(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, before, want string
	}{
		{"replaced", "# Bench\n\nhand-written\n" + startMarker + "\nold\n" + endMarker + "\ntail\n",
			"# Bench\n\nhand-written\n" + startMarker + "\nnew\n" + endMarker + "\ntail\n"},
		{"appended", "# Bench\n\n\n", "# Bench\n\n" + startMarker + "\nnew\n" + endMarker + "\n"},
		{"created", "", "\n\n" + startMarker + "\nnew\n" + endMarker + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name+".md")
			if tt.before != "" {
				if err := os.WriteFile(p, []byte(tt.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := writeSection(p, "new\n"); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(p); string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// The hardware tables give each ratio of medians, and a dash where a benchmark skipped.
func TestHardwareTables(t *testing.T) {
	sum := func(v float64, unit string) result {
		return result{unit: benchmath.AssumeNothing.Summary(
			benchmath.NewSample([]float64{v}, &benchmath.DefaultThresholds), confidence)}
	}
	r := runs{results: map[string]result{
		"lib/RegisterFloor":      sum(40e-9, "sec/op"),
		"lib/EnterExit":          sum(60e-9, "sec/op"),
		"lib/KeyMiss":            sum(20e-6, "sec/op"),
		"lib/PkeyMprotect":       sum(4e-6, "sec/op"),
		"cpu1/EnterExitParallel": sum(60e-9, "sec/op"),
		"cpu2/EnterExitParallel": sum(40e-9, "sec/op"),
	}}
	s := hardwareTables(r)
	for _, want := range []string{
		"| Enter+Exit, virtual key | 60.0 ns ± ∞ | 1.50 × |",
		"| Enter+Exit, `DedicatedKey` | — | — |",
		"so a miss costs 1.25 × its two calls",
		"| Enter+Exit of one domain, virtual key | 60.0 ns ± ∞ | 40.0 ns ± ∞ | 1.50 × |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("tables lack %q:\n%s", want, s)
		}
	}
}
