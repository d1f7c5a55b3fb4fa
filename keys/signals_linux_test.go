package keys

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
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

const setxidChild = "setxid"

// A privilege change (setgid, setuid: the runtime makes every thread do it) while another
// goroutine is in key work, here a Read blocked on an empty pipe, completes: the signals held
// during key work leave the ones the runtime and glibc use for this deliverable.
func TestSetxidDuringKeyWork(t *testing.T) {
	cmd := childCommand(t, setxidChild)
	done := make(chan error, 1)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(out.String(), "ok: ") {
			t.Fatalf("child: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second): // a hang, not a slow machine: the child needs milliseconds
		cmd.Process.Kill()
		t.Fatalf("setgid froze the process while a Read was in key work\n%s", out.String())
	}
}

func childSetxid() int {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Println(err)
		return 3
	}
	reading := make(chan error, 1)
	go func() {
		_, err := Read(r)
		reading <- err
	}()
	for range 20 { // some of them while the reader is inside its domain, blocked
		if err := syscall.Setgid(os.Getgid()); err != nil {
			fmt.Println("setgid:", err)
			return 4
		}
		time.Sleep(time.Millisecond)
	}
	w.Close()
	if err := <-reading; !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoKey) {
		fmt.Println("Read of an empty pipe:", err)
	}
	fmt.Println("ok: setgid went through")
	return 0
}
