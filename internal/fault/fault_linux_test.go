package fault_test

import (
	"runtime/debug"
	"strings"
	"testing"
	"unsafe"

	"github.com/pkeyarena/pkeyarena/internal/fault"
	"github.com/pkeyarena/pkeyarena/internal/unix"
)

// noAccessPage maps one PROT_NONE page, unmapped when the test ends.
func noAccessPage(t *testing.T) []byte {
	t.Helper()
	b, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unix.Munmap(b); err != nil {
			t.Error(err)
		}
	})
	return b
}

var sink byte

//go:noinline
func faultingRead(b []byte, i int) { sink = b[i] }

// A fault is returned with the address that faulted, reads and writes alike, and keep is asked
// about exactly that address.
func TestCatchReturnsTheFault(t *testing.T) {
	page := noAccessPage(t)
	want := uintptr(unsafe.Pointer(&page[7]))
	tests := map[string]func(){
		"read":  func() { faultingRead(page, 7) },
		"write": func() { page[7] = 1 },
	}
	for name, fn := range tests {
		for _, keep := range []bool{false, true} {
			var asked []uintptr
			var k func(uintptr) bool
			if keep {
				k = func(a uintptr) bool { asked = append(asked, a); return true }
			}
			f := fault.Catch(fn, k)
			if f == nil || f.Addr != want {
				t.Fatalf("%s (keep %v): %v, want a fault at %#x", name, keep, f, want)
			}
			if e, ok := f.Value.(interface{ Addr() uintptr }); !ok || e.Addr() != want {
				t.Errorf("%s: Value %#v is not the runtime's fault at %#x", name, f.Value, want)
			}
			if keep && (len(asked) != 1 || asked[0] != want) {
				t.Errorf("%s: keep was asked about %#x, want once about %#x", name, asked, want)
			}
		}
	}
}

// A fault keep refuses goes on as the runtime's panic, raised before the stack unwinds: a
// recover further up still sees the frame that faulted.
func TestRefusedFaultKeepsItsFrames(t *testing.T) {
	page := noAccessPage(t)
	var stack string
	r := recovered(func() {
		defer func() {
			if r := recover(); r != nil {
				stack = string(debug.Stack())
				panic(r)
			}
		}()
		fault.Catch(func() { faultingRead(page, 0) }, func(uintptr) bool { return false })
	})
	e, ok := r.(interface{ Addr() uintptr })
	if !ok || e.Addr() != uintptr(unsafe.Pointer(&page[0])) {
		t.Fatalf("a refused fault came out as %#v", r)
	}
	if !strings.Contains(stack, "fault_test.faultingRead") {
		t.Errorf("the stack of a refused fault lost the faulting frame:\n%s", stack)
	}
}
