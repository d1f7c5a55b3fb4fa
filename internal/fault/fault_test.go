package fault_test

import (
	"runtime/debug"
	"testing"

	"go.uber.org/goleak"

	"github.com/pkeyarena/pkeyarena/internal/fault"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recovered runs fn and returns the value it panicked with, nil if it returned.
func recovered(fn func()) (r any) {
	defer func() { r = recover() }()
	fn()
	return nil
}

// Panics that are not memory faults come out of Catch as they went in, whatever keep says, and
// keep is never asked about them.
func TestOtherPanicsPassThrough(t *testing.T) {
	var nilPtr *int
	var sink int
	asked := false
	keepAll := func(uintptr) bool { asked = true; return true }
	tests := []struct {
		name string
		fn   func()
		want func(r any) bool
	}{
		{"string", func() { panic("not a fault") }, func(r any) bool { return r == "not a fault" }},
		{"index out of range", func() { var s []int; sink = s[5] }, func(r any) bool {
			e, ok := r.(error)
			return ok && e.Error() == "runtime error: index out of range [5] with length 0"
		}},
		// The runtime reports a nil dereference without an address, as no fault to keep.
		{"nil dereference", func() { sink = *nilPtr }, func(r any) bool {
			e, ok := r.(error)
			return ok && e.Error() == "runtime error: invalid memory address or nil pointer dereference"
		}},
	}
	for _, tt := range tests {
		for _, keep := range []func(uintptr) bool{nil, keepAll} {
			r := recovered(func() {
				f := fault.Catch(tt.fn, keep)
				t.Errorf("%s: Catch returned %v instead of panicking", tt.name, f)
			})
			if !tt.want(r) {
				t.Errorf("%s: the panic came out as %#v", tt.name, r)
			}
		}
	}
	if asked {
		t.Error("keep was asked about a panic that is not a memory fault")
	}
	_ = sink
}

func TestReturnsNilWhenFnReturns(t *testing.T) {
	ran := false
	if f := fault.Catch(func() { ran = true }, nil); f != nil || !ran {
		t.Errorf("Catch of a function that returns: %v, ran %v", f, ran)
	}
}

// Catch switches panic-on-fault on only while fn runs, and leaves the caller's setting as it
// found it, on or off, also when fn panics.
func TestRestoresPanicOnFault(t *testing.T) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(false))
	for _, before := range []bool{false, true} {
		debug.SetPanicOnFault(before)
		var during bool
		fault.Catch(func() {
			during = debug.SetPanicOnFault(true)
		}, nil)
		recovered(func() { fault.Catch(func() { panic("x") }, nil) })
		if after := debug.SetPanicOnFault(before); !during || after != before {
			t.Errorf("before %v: during fn %v, after %v", before, during, after)
		}
	}
}

func TestNilFunction(t *testing.T) {
	if r := recovered(func() { fault.Catch(nil, nil) }); r != "fault.Catch: nil function" {
		t.Errorf("Catch(nil) panicked with %#v", r)
	}
}

func TestFaultString(t *testing.T) {
	f := &fault.Fault{Addr: 0x1234, Value: "v"}
	if got, want := f.String(), "fault at 0x1234: v"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
