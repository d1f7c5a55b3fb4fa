package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/pkeyarena/pkeyarena/internal/pkutest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// requireVM skips (or, with PKEYARENA_REQUIRE_VM=1 as CI sets it, fails) when QEMU or the kernel
// is missing, and skips inside the VM itself: these tests drive the runner from the host.
func requireVM(t *testing.T) {
	t.Helper()
	if pkutest.InVM() || os.Getpid() == 1 {
		t.Skip("drives the VM runner from the host; nothing to do inside the guest")
	}
	if testing.Short() {
		t.Skip("boots virtual machines; skipped with -short")
	}
	_, errQ := exec.LookPath("qemu-system-x86_64")
	_, errK := findKernel(machines[elf.EM_X86_64])
	_, errG := exec.LookPath("go")
	for _, err := range []error{errQ, errK, errG} {
		if err == nil {
			continue
		}
		if os.Getenv("PKEYARENA_REQUIRE_VM") == "1" {
			t.Fatalf("PKEYARENA_REQUIRE_VM=1 but: %v", err)
		}
		t.Skipf("%v (scripts/vm-deps.sh installs QEMU and the kernel)", err)
	}
}

// The package the tests below compile and run under the runner.
const probeTest = `package probe

import (
	"flag"
	"net"
	"os"
	"strings"
	"testing"
)

var msg = flag.String("msg", "", "a flag whose value must arrive intact")

func TestProbe(t *testing.T) {
	if os.Getpid() == 1 {
		t.Fatal("the test binary runs as PID 1: not under the runner's init")
	}
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Errorf("loopback: %v", err)
	} else {
		ln.Close()
	}
	cpuinfo, _ := os.ReadFile("/proc/cpuinfo")
	pku := strings.Contains(string(cpuinfo), " pku") && strings.Contains(string(cpuinfo), " ospke")
	t.Logf("msg=[%s] pku=%v require=%s wd-testdata=%v", *msg, pku, os.Getenv("PKEYARENA_REQUIRE_PKU"), exists("testdata/hello.txt"))
	if os.Getenv("PROBE_FAIL") == "1" {
		t.Fatal("failing on purpose")
	}
	if code := os.Getenv("PROBE_EXIT"); code != "" {
		os.Stdout.WriteString("exiting on purpose\n")
		os.Exit(int(code[0] - '0'))
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
`

// setup builds vmrun and writes the probe package; it returns vmrun's path and the package folder.
func setup(t *testing.T) (vmrun, pkg string) {
	requireVM(t)
	dir := t.TempDir()
	vmrun = filepath.Join(dir, "vmrun")
	build := exec.Command("go", "build", "-o", vmrun, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building vmrun: %v\n%s", err, out)
	}
	pkg = filepath.Join(dir, "probe")
	write := func(name, text string) {
		p := filepath.Join(pkg, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module probe\n\ngo 1.26\n")
	write("probe_test.go", probeTest)
	write("testdata/hello.txt", "hello\n")
	return vmrun, pkg
}

// goTest runs go test -exec vmrun in the probe package and returns its output and exit code.
func goTest(t *testing.T, vmrun, pkg string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"test", "-count=1", "-exec", vmrun}, args...)...)
	cmd.Dir = pkg
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func TestRunnerPasses(t *testing.T) {
	vmrun, pkg := setup(t)
	out, code := goTest(t, vmrun, pkg, []string{"CGO_ENABLED=0"}, "-v", "-run", "TestProbe", "-args", "-msg", "a b  c")
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	for _, want := range []string{"--- PASS: TestProbe", "msg=[a b  c]", "pku=true", "require=1", "wd-testdata=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\r") || strings.Contains(out, exitMarker) {
		t.Errorf("output has carriage returns or the exit marker:\n%q", out)
	}
}

// A failing test binary must make the runner, and so go test, fail: a broken runner must never
// make CI green.
func TestRunnerPropagatesFailure(t *testing.T) {
	vmrun, pkg := setup(t)
	out, code := goTest(t, vmrun, pkg, []string{"CGO_ENABLED=0", "PROBE_FAIL=1", "VMRUN_ENV=PROBE_FAIL"})
	if code == 0 || !strings.Contains(out, "failing on purpose") || !strings.Contains(out, "FAIL") {
		t.Fatalf("a failing test: exit %d, output:\n%s", code, out)
	}
}

func TestRunnerExitCode(t *testing.T) {
	vmrun, pkg := setup(t)
	bin := filepath.Join(t.TempDir(), "probe.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir, build.Env = pkg, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cmd := exec.Command(vmrun, bin, "-test.run=TestProbe")
	cmd.Dir = pkg
	cmd.Env = append(os.Environ(), "PROBE_EXIT=3", "VMRUN_ENV=PROBE_EXIT")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 3 || !strings.Contains(string(out), "exiting on purpose") {
		t.Fatalf("want exit status 3 from the guest, got %v:\n%s", err, out)
	}
}

// -race binaries are dynamically linked: the runner packs their shared libraries.
func TestRunnerRace(t *testing.T) {
	vmrun, pkg := setup(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("the race detector test bed is amd64")
	}
	out, code := goTest(t, vmrun, pkg, []string{"CGO_ENABLED=1"}, "-race", "-v", "-run", "TestProbe")
	if code != 0 || !strings.Contains(out, "--- PASS: TestProbe") || !strings.Contains(out, "pku=true") {
		t.Fatalf("-race: exit %d:\n%s", code, out)
	}
}

// With PKU switched off in the emulated CPU, the guest sees no pku flag: the cheap check that
// "PKU required" tests really fail without it is done in the Makefile's test-vm-nopku target.
func TestRunnerCPUWithoutPKU(t *testing.T) {
	vmrun, pkg := setup(t)
	out, code := goTest(t, vmrun, pkg, []string{"CGO_ENABLED=0", "VMRUN_CPU=max,-pku"}, "-v", "-run", "TestProbe")
	if code != 0 || !strings.Contains(out, "pku=false") {
		t.Fatalf("VMRUN_CPU=max,-pku: exit %d:\n%s", code, out)
	}
}

func TestRunnerFailsLoudlyWithoutKernel(t *testing.T) {
	vmrun, pkg := setup(t)
	out, code := goTest(t, vmrun, pkg, []string{"CGO_ENABLED=0", "PKEYARENA_VM_KERNEL=/nonexistent/vmlinuz"})
	if code == 0 || !strings.Contains(out, "PKEYARENA_VM_KERNEL") {
		t.Fatalf("missing kernel: exit %d:\n%s", code, out)
	}
}

func TestRelay(t *testing.T) {
	in := "=== RUN   X\r\n[    1.234567] kernel says hi\r\nok\r\n\r\n" + exitMarker + "7\r\n"
	var out strings.Builder
	status, klog, err := relay(strings.NewReader(in), &out, false, nil, nil)
	if err != nil || status != 7 {
		t.Fatalf("status %d, err %v", status, err)
	}
	if out.String() != "=== RUN   X\nok\n" {
		t.Errorf("relayed %q", out.String())
	}
	if !strings.Contains(klog, "kernel says hi") {
		t.Errorf("kernel log %q", klog)
	}
	status, _, _ = relay(strings.NewReader("no marker\n"), &out, false, nil, nil)
	if status != -1 {
		t.Errorf("no marker: status %d, want -1", status)
	}
}

func TestVMTimeout(t *testing.T) {
	t.Setenv("VMRUN_TIMEOUT", "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-test.timeout=10m0s"}, "12m0s"},
		{[]string{"-test.v", "-test.timeout", "1m"}, "3m0s"},
		{nil, "12m0s"},
	}
	for _, tt := range tests {
		if got := vmTimeout(tt.args).String(); got != tt.want {
			t.Errorf("vmTimeout(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
	t.Setenv("VMRUN_TIMEOUT", "90s")
	if got := vmTimeout(nil).String(); got != "1m30s" {
		t.Errorf("VMRUN_TIMEOUT=90s gave %s", got)
	}
}

// Code for the coverage test below: one branch taken three times, one never.
const probeCode = `package probe

func Covered(x int) int {
	if x > 0 {
		return 1
	}
	return 0
}
`

const probeCoverTest = `package probe

import "testing"

func TestCover(t *testing.T) {
	for range 3 {
		Covered(1)
	}
}
`

// writeProbeCode adds probeCode, its test and a package nothing imports to the probe module.
func writeProbeCode(t *testing.T, pkg string) {
	t.Helper()
	for name, text := range map[string]string{
		"probe.go": probeCode, "cover_test.go": probeCoverTest,
		"other/other.go": "package other\n\nfunc Unused() int { return 1 }\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(pkg, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pkg, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Profiles written in the guest come back to the paths go test gave, with their contents: the
// coverage profile counts what ran in the guest; the CPU, memory and block profiles are pprof
// files.
func TestRunnerProfiles(t *testing.T) {
	vmrun, pkg := setup(t)
	writeProbeCode(t, pkg)
	cover := filepath.Join(t.TempDir(), "cover.out")
	out, code := goTest(t, vmrun, pkg, []string{"CGO_ENABLED=0"}, "-run", "TestCover", "-covermode=count",
		"-coverprofile="+cover, "-cpuprofile=cpu.out", "-memprofile=mem.out", "-blockprofile=block.out", ".")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "coverage: 66.7% of statements") {
		t.Errorf("go test's own coverage line is missing or wrong:\n%s", out)
	}
	profile, err := os.ReadFile(cover)
	if err != nil {
		t.Fatalf("no coverage profile came back: %v", err)
	}
	for _, want := range []string{"mode: count\n", "probe/probe.go:3.25,4.11 1 3\n", "probe/probe.go:4.11,6.3 1 3\n", "probe/probe.go:7.2,7.10 1 0\n"} {
		if !strings.Contains(string(profile), want) {
			t.Errorf("coverage profile lacks %q:\n%s", want, profile)
		}
	}
	for _, p := range []string{"cpu.out", "mem.out", "block.out"} {
		pprof := exec.Command("go", "tool", "pprof", "-top", filepath.Join(pkg, "probe.test"), filepath.Join(pkg, p))
		if b, err := pprof.CombinedOutput(); err != nil {
			t.Errorf("%s is not a profile go tool pprof reads: %v\n%s", p, err, b)
		}
	}
}

// With -coverpkg, go test lists the meta-data of packages the test binary does not link in a
// file of the coverage folder; those files travel into the guest, and the package counts as not
// run in the profile that comes back.
func TestRunnerCoverPkg(t *testing.T) {
	vmrun, pkg := setup(t)
	writeProbeCode(t, pkg)
	cover := filepath.Join(t.TempDir(), "cover.out")
	out, code := goTest(t, vmrun, pkg, []string{"CGO_ENABLED=0"}, "-run", "TestCover", "-coverpkg=./...",
		"-coverprofile="+cover, "./...")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "coverage: 50.0% of statements in ./...") {
		t.Errorf("go test's own coverage line is missing or wrong:\n%s", out)
	}
	profile, err := os.ReadFile(cover)
	if err != nil {
		t.Fatalf("no coverage profile came back: %v", err)
	}
	for _, want := range []string{"probe/probe.go:4.11,6.3 1 1\n", "probe/other/other.go:3.19,3.31 1 0\n"} {
		if !strings.Contains(string(profile), want) {
			t.Errorf("coverage profile lacks %q:\n%s", want, profile)
		}
	}
}

// go test -cover -args -test.gocoverdir=DIR, the way to keep raw coverage data for go tool
// covdata: the folder fills on the host as it did in the guest.
func TestRunnerCoverDir(t *testing.T) {
	vmrun, pkg := setup(t)
	writeProbeCode(t, pkg)
	dir := filepath.Join(t.TempDir(), "covdata")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, code := goTest(t, vmrun, pkg, []string{"CGO_ENABLED=0"}, "-cover", "-run", "TestCover", ".", "-args", "-test.gocoverdir="+dir)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	b, err := exec.Command("go", "tool", "covdata", "percent", "-i", dir).CombinedOutput()
	if err != nil || !strings.Contains(strings.Join(strings.Fields(string(b)), " "), "probe coverage: 66.7% of statements") {
		t.Fatalf("go tool covdata percent -i %s: %v\n%s", dir, err, b)
	}
}
