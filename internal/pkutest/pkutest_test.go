package pkutest

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/pkeyarena/pkeyarena/internal/unix"
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
	if got := pkgArg(); got != "./internal/pkutest/" {
		t.Errorf("pkgArg() = %q, want ./internal/pkutest/", got)
	}
	t.Chdir(os.TempDir())
	if got := pkgArg(); got != "./..." {
		t.Errorf("outside the module pkgArg() = %q, want ./...", got)
	}
}

func TestCatch(t *testing.T) {
	page := MapPages(t, 1)
	if ReadFault(page) || WriteFault(page) {
		t.Fatal("a read-write page faulted")
	}
	if page[0] != 0x5a {
		t.Errorf("WriteFault did not write: %#x", page[0])
	}
	if err := unix.Mprotect(page, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	if ReadFault(page) || !WriteFault(page) {
		t.Error("read-only page: want read ok, write fault")
	}
	if err := unix.Mprotect(page, unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	f := Catch(func() { ReadByte(page, 7) })
	if f == nil {
		t.Fatal("reading a PROT_NONE page did not fault")
	}
	if want := uintptr(pageAddr(page)) + 7; f.Addr != want {
		t.Errorf("fault address %#x, want %#x", f.Addr, want)
	}
	defer func() {
		if r := recover(); r != "not a fault" {
			t.Errorf("a panic that is not a fault came back as %v", r)
		}
	}()
	Catch(func() { panic("not a fault") })
}
