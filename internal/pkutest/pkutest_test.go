package pkutest

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/pkeyarena/pkeyarena/pkru"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Without keys, RequirePKU skips on a host and fails where PKU is required (the VM). On a PKU
// host the test runs again in a child that has the keys switched off (PKEYARENA_FORCE_FALLBACK).
func TestRequirePKUSkipsOnHostAndFailsInVM(t *testing.T) {
	if pkru.Supported() == nil {
		if InVM() {
			t.Skip("the guest has keys and no fallback switch to test with")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestRequirePKUSkipsOnHostAndFailsInVM$", "-test.v")
		cmd.Env = append(os.Environ(), "PKEYARENA_FORCE_FALLBACK=1")
		out, err := cmd.CombinedOutput()
		pass := "--- PASS: TestRequirePKUSkipsOnHostAndFailsInVM"
		if err != nil || !strings.Contains(string(out), pass) {
			t.Fatalf("in a child without keys: %v\n%s", err, out)
		}
		return
	}
	t.Setenv(RequireEnv, "")
	var host Recorder
	host.Call(RequirePKU)
	if host.FailMsg != "" || !strings.Contains(host.SkipMsg, "make test-vm") {
		t.Errorf("host without keys: skipped=%q failed=%q, want a skip naming make test-vm",
			host.SkipMsg, host.FailMsg)
	}
	t.Setenv(RequireEnv, "1")
	var vm Recorder
	vm.Call(RequirePKU)
	if vm.FailMsg == "" || vm.SkipMsg != "" {
		t.Errorf("VM without keys: skipped=%q failed=%q, want a failure", vm.SkipMsg, vm.FailMsg)
	}
}

func TestPkgArg(t *testing.T) {
	if InVM() {
		t.Skip("the guest has no go.mod to find the module root by")
	}
	if got := pkgArg(); got != "./internal/pkutest/" {
		t.Errorf("pkgArg() = %q, want ./internal/pkutest/", got)
	}
	t.Chdir(os.TempDir())
	if got := pkgArg(); got != "./..." {
		t.Errorf("outside the module pkgArg() = %q, want ./...", got)
	}
}
