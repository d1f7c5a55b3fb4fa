package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// childEnv makes the test binary print probeMode's answer and exit (TestMain).
const childEnv = "BENCHREPORT_TEST_PROBE"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		label, err := probeMode()
		if err != nil {
			os.Stdout.WriteString("error: " + err.Error())
			os.Exit(1)
		}
		os.Stdout.WriteString(label)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestModeLabel(t *testing.T) {
	tests := []struct {
		mode arena.Mode
		soft bool
		want string
	}{
		{arena.PKU, false, "PKU hardware"},
		{arena.PKU, true, "softreg"},
		{arena.Mprotect, false, "Mprotect"},
		{arena.Mprotect, true, "Mprotect"},
		{0, false, ""},
	}
	for _, tt := range tests {
		got, err := modeLabel(tt.mode, tt.soft)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("modeLabel(%v, %v) = %q, %v; want %q", tt.mode, tt.soft, got, err, tt.want)
		}
	}
}

// The label follows what the library says about this machine, never a guess of its own.
func TestProbeMode(t *testing.T) {
	want := labelMprotect
	switch {
	case softregBuild:
		want = labelSoftreg
	case pkru.Supported() == nil:
		want = labelPKU
	}
	got, err := probeMode()
	if err != nil || got != want {
		t.Fatalf("probeMode() = %q, %v; want %q (pkru.Supported: %v, softreg build: %v)", got, err, want, pkru.Supported(), softregBuild)
	}
}

// With PKEYARENA_FORCE_FALLBACK=1 (which the benchmarks inherit), a PKU host reports Mprotect.
func TestProbeModeForcedFallback(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), childEnv+"=1", pkru.ForceFallbackEnv+"=1")
	out, err := cmd.Output()
	want := labelMprotect
	if softregBuild {
		want = labelSoftreg // the benchmark build takes the PKU paths whatever the machine
	}
	if err != nil || string(out) != want {
		t.Fatalf("forced fallback: %q, %v; want %q", out, err, want)
	}
}

func TestDescribe(t *testing.T) {
	m := describe(map[string]string{"cpu": "AMD EPYC 7B13"}, labelMprotect, 6)
	if m.cpu != "AMD EPYC 7B13" || m.vcpus < 1 ||
		!regexp.MustCompile(`^AMD EPYC 7B13, \d+ vCPU; `).MatchString(m.String()) {
		t.Errorf("cpu %q, %d vCPU: %q", m.cpu, m.vcpus, m)
	}
	if !strings.HasPrefix(m.kernel, "Linux ") || !strings.HasPrefix(m.goVersion, "go") {
		t.Errorf("kernel %q, Go %q", m.kernel, m.goVersion)
	}
	if _, err := time.Parse("2006-01-02", m.date); err != nil {
		t.Errorf("date %q: %v", m.date, err)
	}
	if s := m.String(); !strings.Contains(s, "; Mprotect; ") || !strings.HasSuffix(s, m.date) {
		t.Errorf("String() = %q", s)
	}
	if got := describe(nil, labelPKU, 1).cpu; got != "unknown CPU" {
		t.Errorf("no cpu line: %q", got)
	}
}

// The runs of the library's own benchmarks are in the build benchreport was made with, so that
// the label it prints is the mode that was measured; the softreg runs are always tagged; every
// run has its own raw file and passes the count and benchtime.
func TestBenchRuns(t *testing.T) {
	rs := benchRuns(6, "1s")
	names := map[string]bool{}
	for _, r := range rs {
		if names[r.name] {
			t.Errorf("two runs named %q", r.name)
		}
		names[r.name] = true
		tagged := slices.Contains(r.args, "pkeyarena_softreg")
		if r.prefix == "softreg/" && !tagged {
			t.Errorf("a softreg run without the tag: %+v", r)
		}
		if r.prefix != "softreg/" && tagged != softregBuild {
			t.Errorf("run %s is tagged %v in a build with softreg %v: %q", r.name, tagged,
				softregBuild, r.args)
		}
		if !slices.Contains(r.args, "6") || !slices.Contains(r.args, "1s") {
			t.Errorf("count and benchtime not passed to %s: %q", r.name, r.args)
		}
	}
	for _, want := range []string{"compare", "domain", "cpu1", "cpu2", "softreg-domain"} {
		if !names[want] {
			t.Errorf("no run %q", want)
		}
	}
}

// A raw file's header lines give back the machine that wrote it; files without them are an
// error, not a report of an unknown machine.
func TestMachineHeader(t *testing.T) {
	m := machine{cpu: "Intel Xeon", vcpus: 2, kernel: "Linux 6.18", goVersion: "go1.26.8",
		mode: labelPKU, date: "2026-12-02", count: 6}
	out := m.header() + "cpu: Intel Xeon\nBenchmarkX-2 1 5 ns/op\n"
	r, err := summarize(strings.NewReader(out), "raw", "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := machineFrom(r.config)
	if err != nil || got != m {
		t.Errorf("machineFrom(header) = %+v, %v; want %+v", got, err, m)
	}
	if _, err := machineFrom(map[string]string{"cpu": "Intel Xeon"}); err == nil {
		t.Error("machineFrom without header lines succeeded")
	}
}

// -from rebuilds the report from a folder of raw files, one per run, without running anything.
func TestFromRaw(t *testing.T) {
	dir := t.TempDir()
	m := machine{cpu: "Intel Xeon", vcpus: 2, kernel: "Linux 6.18", goVersion: "go1.26.8",
		mode: labelPKU, date: "2026-12-02", count: 1}
	for _, r := range benchRuns(1, "1s") {
		body := m.header() + "cpu: Intel Xeon\nBenchmark" + r.name + "-2 1 5 ns/op\n"
		if err := os.WriteFile(filepath.Join(dir, r.name+".txt"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all, got, err := fromRaw(dir)
	if err != nil || got != m {
		t.Fatalf("fromRaw: %+v, %v; want %+v", got, err, m)
	}
	if _, ok := all.results["cpu2/cpu2"]; !ok {
		t.Errorf("run cpu2's benchmark missing: %v", all.results)
	}
	os.Remove(filepath.Join(dir, "cpu1.txt"))
	if _, _, err := fromRaw(dir); err == nil {
		t.Error("fromRaw with a run's file missing succeeded")
	}
}
