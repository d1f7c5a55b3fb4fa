package secrets_test

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
)

// While one goroutine is inside a Use, another goroutine outside every domain faults on the
// bytes with PKU, and reads them in Mprotect mode (the documented process-wide limitation).
func TestUseIsPerThread(t *testing.T) {
	st, a := newStore(t)
	s := mustFromBytes(t, st, "per thread")
	held := holdSlice(t, s)
	var outside bool // whether the other goroutine could read
	s.UseReadOnly(func(b []byte) error {
		done := make(chan bool)
		go func() { done <- !pkutest.ReadFault(held) }()
		outside = <-done
		return nil
	})
	if want := a.Mode() == arena.Mprotect; outside != want {
		t.Errorf("%v: another goroutine read the bytes during a Use: %v, want %v",
			a.Mode(), outside, want)
	}
}

// With PKU a read-only Use stays read-only while another goroutine is inside a read-write Use
// of the same Store: the grant is the thread's own.
func TestReadOnlyUseBesideReadWrite(t *testing.T) {
	pkutest.RequirePKU(t)
	st, _ := newStore(t)
	s := mustFromBytes(t, st, "read only here")
	inside, leave := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Use(func([]byte) error {
			close(inside)
			<-leave
			return nil
		})
	}()
	<-inside
	s.UseReadOnly(func(b []byte) error {
		if !pkutest.WriteFault(b) {
			t.Error("a write inside UseReadOnly succeeded while another goroutine was inside Use")
		}
		return nil
	})
	close(leave)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := contents(t, s); got != "read only here" {
		t.Errorf("secret changed to %q", got)
	}
}
