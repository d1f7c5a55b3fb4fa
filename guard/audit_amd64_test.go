package guard_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/guard/internal/gadget"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/pkru"
)

var keepGadgets []any

// gadgetPkg begins the symbols of the gadget package, whatever the module is called.
var gadgetPkg = reflect.TypeFor[guard.Finding]().PkgPath() + "/internal/gadget."

// This test binary links the planted gadgets (and pkru): both must be found, the gadgets as
// unexpected, aligned and misaligned, and pkru's register write as expected.
func TestAuditFindsPlantedGadget(t *testing.T) {
	if !gadget.Planted {
		t.Fatal("the gadget package did not plant anything on amd64")
	}
	keepGadgets = gadget.Keep // keep the functions in the binary
	_ = pkru.Supported()
	rep, err := guard.Audit()
	if err != nil {
		t.Fatal(err)
	}
	var aligned, misaligned, disguised, expected bool
	for _, f := range rep.Findings {
		switch {
		case f.Symbol == pkruPkg+"disguisedWrite" && f.Instruction == "WRPKRU":
			disguised = !f.Expected
		case strings.HasPrefix(f.Symbol, gadgetPkg+"Aligned") && f.Instruction == "WRPKRU":
			aligned = !f.Expected
		case strings.HasPrefix(f.Symbol, gadgetPkg+"Misaligned") && f.Instruction == "WRPKRU":
			misaligned = !f.Expected
		case f.Expected && strings.HasPrefix(f.Symbol, pkruPkg):
			expected = true
		}
	}
	if !aligned || !misaligned || !disguised || !expected {
		t.Errorf("aligned gadget found as unexpected: %v, misaligned: %v, named as pkru's: %v; "+
			"pkru's own found as expected: %v\n%v",
			aligned, misaligned, disguised, expected, rep.Findings)
	}
	t.Logf("scanned %d bytes of code; %d findings, unexpected: %v",
		rep.Scanned, len(rep.Findings), rep.Unexpected())
}

// What an audit at start-up costs: this test binary and the files it maps.
func BenchmarkAudit(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := guard.Audit(); err != nil {
			b.Fatal(err)
		}
	}
}

// A program built without the gadget package writes the register only in pkru.
func TestAuditCleanBinary(t *testing.T) {
	if pkutest.InVM() {
		t.Skip("builds a program with the go tool, which the guest does not have")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	bin := filepath.Join(t.TempDir(), "quickstart")
	cmd := exec.Command("go", "build", "-o", bin, "../examples/quickstart")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rep, err := guard.AuditFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Unexpected() {
		if f.Instruction == "WRPKRU" {
			t.Errorf("a clean build writes the register outside pkru: %v", f)
		} else {
			// Three bytes with a wide ModRM range: compiled code holds such sequences by chance.
			// Reported, not a failure.
			t.Logf("XRSTOR-shaped bytes (inside another instruction, most likely): %v", f)
		}
	}
	if len(rep.Findings) == 0 {
		t.Error("pkru's own WRPKRU was not found: the scan proves nothing")
	}
	t.Logf("%s: %d bytes of code, findings %v", filepath.Base(bin), rep.Scanned, rep.Findings)
}

// A dependency's file-local assembly function (TEXT name<>(SB)) may bear the name of pkru's
// register write: the linker refuses a second global function of that name, not a local one.
// Audit then trusts neither, in the binary itself and in its stripped copy (no symbol table:
// the function table's names alone), and a stripped build of a clean program still has
// pkru's write expected.
func TestAuditDistrustsLocalNamesake(t *testing.T) {
	if pkutest.InVM() {
		t.Skip("builds programs with the go tool, which the guest does not have")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	dir := t.TempDir()
	build := func(out, pkg string, flags ...string) string {
		bin := filepath.Join(dir, out)
		cmd := exec.Command("go", append(append([]string{"build", "-o", bin}, flags...), pkg)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		return bin
	}
	prog := build("localwrite", "./testdata/localwrite")
	stripped := build("localwrite-stripped", "./testdata/localwrite", "-ldflags=-s -w")
	clean := build("quickstart-stripped", "../examples/quickstart", "-ldflags=-s -w")
	for _, tt := range []struct {
		name string
		args []string
	}{{"Audit", nil}, {"AuditFile of the stripped build", []string{stripped}}} {
		out, err := exec.Command(prog, tt.args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tt.name, err, out)
		}
		writes := strings.Count(string(out), "WRPKRU "+pkruPkg+"wrpkru")
		if writes < 2 || strings.Contains(string(out), " true") {
			t.Errorf("%s: want pkru's write and its namesake, neither expected:\n%s", tt.name, out)
		}
	}
	rep, err := guard.AuditFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	var expected bool
	for _, f := range rep.Findings {
		expected = expected || f.Expected && f.Instruction == "WRPKRU"
	}
	if !expected {
		t.Errorf("a stripped clean build: pkru's write not expected: %v", rep.Findings)
	}
}
