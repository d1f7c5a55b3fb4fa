package domain_test

import (
	"errors"
	"runtime"
	"testing"

	"github.com/pkeyarena/pkeyarena/domain"
)

// DoSecret keeps Do's contract in both builds: fn runs inside, its error comes back, and a
// panic or Goexit in fn leaves the domain exited.
func TestDoSecretIsDo(t *testing.T) {
	a := newArena(t, "dosecret")
	b := alloc(t, a, 32)
	d := newDomain(t, domain.ReadWrite(a))
	want := errors.New("from fn")
	err := d.DoSecret(func() error {
		if got := probe(b); got != (access{true, true}) {
			t.Errorf("inside DoSecret: %+v, want read and write", got)
		}
		copy(b, "kept in the arena")
		return want
	})
	if err != want {
		t.Errorf("DoSecret returned %v, want fn's error", err)
	}
	if got := probe(b); got != (access{}) {
		t.Errorf("after DoSecret: %+v, want no access", got)
	}
	d.DoSecret(func() error { // arena memory is not erased: it is the caller's to wipe
		if string(b[:17]) != "kept in the arena" {
			t.Errorf("arena bytes after DoSecret: %q", b[:17])
		}
		return nil
	})

	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("panic value %v, want boom", r)
			}
		}()
		d.DoSecret(func() error { panic("boom") })
	}()
	if got := probe(b); got != (access{}) {
		t.Errorf("after a panic in DoSecret: %+v, want no access", got)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		d.DoSecret(func() error { runtime.Goexit(); return nil })
	}()
	<-done
	if got := probe(b); got != (access{}) {
		t.Errorf("after Goexit in DoSecret: %+v, want no access", got)
	}
	if err := a.Close(); err != nil { // no count or pin was left behind by the panic or Goexit
		t.Errorf("Close after DoSecret's panic and Goexit: %v", err)
	}
}

// SecretErasure is true exactly inside DoSecret where the runtime erases: not before, not after,
// not in a goroutine fn starts; nested levels keep it until the outermost returns.
func TestSecretErasure(t *testing.T) {
	if got := domain.SecretErasureAvailable(); got != erasureBuilt {
		t.Fatalf("SecretErasureAvailable() = %v, want %v in this build", got, erasureBuilt)
	}
	on := erasureBuilt
	a := newArena(t, "erasure")
	b := newArena(t, "erasure-inner")
	outer := newDomain(t, domain.ReadWrite(a))
	inner := newDomain(t, domain.ReadOnly(b))
	if domain.SecretErasure() {
		t.Error("SecretErasure() outside DoSecret = true")
	}
	outer.Do(func() error {
		if domain.SecretErasure() {
			t.Error("SecretErasure() inside Do = true")
		}
		return nil
	})
	var inGoroutine, nested, afterNested bool
	outer.DoSecret(func() error {
		if got := domain.SecretErasure(); got != on {
			t.Errorf("SecretErasure() inside DoSecret = %v, want %v", got, on)
		}
		done := make(chan bool)
		go func() { done <- domain.SecretErasure() }()
		inGoroutine = <-done
		inner.DoSecret(func() error { nested = domain.SecretErasure(); return nil })
		afterNested = domain.SecretErasure()
		return nil
	})
	if inGoroutine {
		t.Error("SecretErasure() in a goroutine started inside DoSecret = true")
	}
	if nested != on || afterNested != on {
		t.Errorf("nested DoSecret: inner %v, outer after it %v, want %v", nested, afterNested, on)
	}
	if domain.SecretErasure() {
		t.Error("SecretErasure() after DoSecret = true")
	}
}
