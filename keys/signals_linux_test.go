package keys

import (
	"runtime"
	"syscall"
	"testing"
)

// Inside the secret work every asynchronous signal is blocked on the thread (SIGURG, the
// runtime's preemption signal, among them) and the fault signals are not; afterwards the
// thread's mask is what it was.
func TestSignalsHeld(t *testing.T) {
	h, err := newHome(config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.release()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := signalMask()
	bit := func(s syscall.Signal) sigset { return 1 << (s - 1) }
	var inside sigset
	if err := h.do(func() error {
		inside = signalMask()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []syscall.Signal{syscall.SIGURG, syscall.SIGPROF, syscall.SIGCHLD, syscall.SIGINT, syscall.SIGTERM} {
		if inside&bit(s) == 0 {
			t.Errorf("%v not blocked inside", s)
		}
	}
	for _, s := range []syscall.Signal{syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGILL, syscall.SIGTRAP} {
		if inside&bit(s) != 0 {
			t.Errorf("%v blocked inside: a fault there would kill the process", s)
		}
	}
	if after := signalMask(); after != before {
		t.Errorf("mask %#x after, %#x before", after, before)
	}
}
