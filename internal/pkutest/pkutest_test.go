package pkutest

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/pkeyarena/pkeyarena/pkru"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a testing.TB that records Skipf and Fatalf and, like the real ones, ends the
// goroutine that calls them. Use it through call.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Skipf(f string, args ...any)  { r.skipped = f; runtime.Goexit() }
func (r *recorder) Fatalf(f string, args ...any) { r.failed = f; runtime.Goexit() }

// call runs fn(r) on its own goroutine, as the testing package runs a test, and waits for it.
func (r *recorder) call(fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
}

func TestRequirePKUSkipsOnHostAndFailsInVM(t *testing.T) {
	if pkru.Supported() == nil {
		t.Skip("protection keys are present here: RequirePKU neither skips nor fails")
	}
	t.Setenv(RequireEnv, "")
	var host recorder
	host.call(RequirePKU)
	if host.failed != "" || !strings.Contains(host.skipped, "make test-vm") {
		t.Errorf("host without keys: skipped=%q failed=%q, want a skip naming make test-vm", host.skipped, host.failed)
	}
	t.Setenv(RequireEnv, "1")
	var vm recorder
	vm.call(RequirePKU)
	if vm.failed == "" || vm.skipped != "" {
		t.Errorf("VM without keys: skipped=%q failed=%q, want a failure", vm.skipped, vm.failed)
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
