package main

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

func summarizeFile(t *testing.T, name, prefix string) runs {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := summarize(f, name, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func near(a, b float64) bool { return a == b || math.Abs(a-b) <= 1e-9*math.Abs(b) }

// Six runs: the median and a 95% interval, which for six values of the median spans the
// smallest to the largest; the GOMAXPROCS suffix is dropped, units are tidied (ns/op becomes
// sec/op), custom units are kept, a skipped benchmark is absent, go test's cpu line is read.
func TestSummarize(t *testing.T) {
	r := summarizeFile(t, "six-runs.txt", "")
	tests := []struct {
		name, unit     string
		center, lo, hi float64
	}{
		{"AllocFree/heap/32", "sec/op", 102.5e-9, 100e-9, 110e-9},
		{"AllocFree/heap/32", "B/op", 32, 32, 32},
		{"AllocFree/heap/32", "allocs/op", 1, 1, 1},
		{"MemoryPerSecret/pkeyarena/1000", "locked-B/secret", 41.5, math.Inf(-1), math.Inf(1)},
		{"MemoryPerSecret/pkeyarena/1000", "resident-B/secret", 42, math.Inf(-1), math.Inf(1)},
		{"EnterExitVsMprotect/domain/4KiB/busy=0", "sec/op", 56.2e-6, math.Inf(-1), math.Inf(1)},
		{"EnterExitVsMprotect/domain/4KiB/busy=0", "regions", 1, math.Inf(-1), math.Inf(1)},
	}
	for _, tt := range tests {
		s, ok := r.results[tt.name][tt.unit]
		if !ok {
			t.Errorf("%s %s: missing; have %v", tt.name, tt.unit, r.results[tt.name])
			continue
		}
		if !near(s.Center, tt.center) || !near(s.Lo, tt.lo) || !near(s.Hi, tt.hi) {
			t.Errorf("%s %s: median %g [%g, %g], want %g [%g, %g]", tt.name, tt.unit, s.Center, s.Lo, s.Hi, tt.center, tt.lo, tt.hi)
		}
	}
	// Exactly what benchmath says, level included.
	s := r.results["AllocFree/heap/32"]["sec/op"]
	ns := 1e-9 // multiplied at run time, as benchfmt tidies ns/op into sec/op
	values := []float64{104 * ns, 100 * ns, 110 * ns, 101 * ns, 103 * ns, 102 * ns}
	want := benchmath.AssumeNothing.Summary(benchmath.NewSample(values, &benchmath.DefaultThresholds), 0.95)
	if s.Center != want.Center || s.Lo != want.Lo || s.Hi != want.Hi || s.Confidence != want.Confidence || s.Confidence < 0.95 {
		t.Errorf("summary %+v, benchmath says %+v", s, want)
	}
	if got := s.PctRangeString(); got != "7%" {
		t.Errorf("interval %s, want 7%% (110 is 7.3%% above the median 102.5)", got)
	}
	if _, ok := r.results["MemoryPerSecret/memguard/100000"]; ok {
		t.Error("a skipped benchmark has a result")
	}
	if len(r.results) != 3 {
		t.Errorf("%d benchmarks, want 3: %v", len(r.results), r.results)
	}
	if r.config["cpu"] != "AMD EPYC 7B13" || r.config["pkg"] != "github.com/pkeyarena/pkeyarena/bench" {
		t.Errorf("config %v", r.config)
	}
}

// One run (-quick): a median, no interval, and benchmath's reason.
func TestSummarizeOneRun(t *testing.T) {
	r := summarizeFile(t, "one-run.txt", "softreg/")
	s, ok := r.results["softreg/EnterExitSoftware"]["sec/op"]
	if !ok || !near(s.Center, 35e-9) || !math.IsInf(s.Lo, -1) || !math.IsInf(s.Hi, 1) || s.PctRangeString() != "∞" {
		t.Fatalf("one run: %+v, %v", s, ok)
	}
	ws := r.warnings()
	if len(ws) != 1 || !strings.Contains(ws[0], "need >= 6 samples") {
		t.Errorf("warnings %q, want benchmath's one about the number of samples, once", ws)
	}
}

func TestSummarizeSyntaxError(t *testing.T) {
	f, err := os.Open("testdata/broken.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = summarize(f, "broken.txt", "")
	var se *benchfmt.SyntaxError
	if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), "broken.txt:3") {
		t.Fatalf("summarize: %v; want a benchfmt.SyntaxError at broken.txt:3", err)
	}
}

// Two runs that measured the same benchmark would overwrite each other's figures.
func TestRunsAdd(t *testing.T) {
	all := summarizeFile(t, "six-runs.txt", "")
	if err := all.add(summarizeFile(t, "one-run.txt", "softreg/")); err != nil {
		t.Fatal(err)
	}
	if _, ok := all.results["softreg/LockOSThread"]; !ok || len(all.results) != 5 {
		t.Errorf("after add: %v", all.results)
	}
	if all.config["cpu"] != "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz" {
		t.Errorf("config after add: %v", all.config)
	}
	if err := all.add(summarizeFile(t, "one-run.txt", "softreg/")); err == nil || !strings.Contains(err.Error(), "two runs") {
		t.Errorf("adding a run twice: %v", err)
	}
}
