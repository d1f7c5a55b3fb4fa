// Package fault turns a memory fault in Go code into a value. It is the one mechanism behind
// guard.Catch and the test helpers' fault probes (internal/pkutest), and imports nothing of the
// library, so that both can sit on it.
package fault

import (
	"fmt"
	"runtime/debug"
)

// Fault is a memory fault that Catch recovered.
type Fault struct {
	Addr  uintptr // the faulting address, as the runtime reports it
	Value any     // the recovered panic value: a runtime.Error with an Addr method
}

func (f *Fault) String() string { return fmt.Sprintf("fault at %#x: %v", f.Addr, f.Value) }

// Catch runs fn with the runtime's panic-on-fault switched on for the calling goroutine (the
// previous setting is restored) and returns the memory fault fn caused, or nil when fn returns.
//
// When keep is not nil it is asked about each fault's address, and a fault it refuses goes on
// as the panic it was, as does every panic that is not a memory fault. Such a panic is raised
// again from inside Catch's deferred call, before the stack unwinds, so that its traceback still
// shows the frames that faulted. A nil fn is a programming error: Catch panics with
// "fault.Catch: nil function".
func Catch(fn func(), keep func(addr uintptr) bool) (f *Fault) {
	if fn == nil {
		panic("fault.Catch: nil function")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		a, ok := r.(interface{ Addr() uintptr })
		if !ok || (keep != nil && !keep(a.Addr())) {
			panic(r)
		}
		f = &Fault{Addr: a.Addr(), Value: r}
	}()
	fn()
	return nil
}
