package main

import (
	"os"
	"os/exec"
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
	if !regexp.MustCompile(`^AMD EPYC 7B13, \d+ vCPU$`).MatchString(m.cpu) {
		t.Errorf("cpu %q", m.cpu)
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
	if got := describe(nil, labelPKU, 1).cpu; !strings.HasPrefix(got, "unknown CPU, ") {
		t.Errorf("no cpu line: %q", got)
	}
}

// The benchmark build measures the bench module in the build benchreport was made with, so that
// the label it prints is the mode that was measured.
func TestBenchRuns(t *testing.T) {
	rs := benchRuns(6, "1s")
	if len(rs) != 3 {
		t.Fatalf("%d runs", len(rs))
	}
	if tagged := slices.Contains(rs[0].args, "pkeyarena_softreg"); tagged != softregBuild {
		t.Errorf("the bench module run is tagged %v in a build with softreg %v: %q", tagged, softregBuild, rs[0].args)
	}
	for _, r := range rs[1:] {
		if !slices.Contains(r.args, "pkeyarena_softreg") || r.prefix != "softreg/" {
			t.Errorf("a softreg run without the tag or the prefix: %+v", r)
		}
	}
	if !slices.Contains(rs[0].args, "6") || !slices.Contains(rs[0].args, "1s") {
		t.Errorf("count and benchtime not passed: %q", rs[0].args)
	}
}
