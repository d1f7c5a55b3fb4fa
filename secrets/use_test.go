package secrets_test

import (
	"errors"
	"runtime"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/secrets"
)

func TestUseReadsAndWrites(t *testing.T) {
	st, _ := newStore(t)
	s := mustFromBytes(t, st, "abcd")
	err := s.Use(func(b []byte) error {
		if len(b) != 4 || cap(b) != 4 {
			t.Errorf("Use gave len %d cap %d, want 4 and 4", len(b), cap(b))
		}
		copy(b, "wxyz")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := contents(t, s); got != "wxyz" {
		t.Errorf("after a write in Use: %q", got)
	}
	want := errors.New("from fn")
	if err := s.Use(func([]byte) error { return want }); err != want {
		t.Errorf("Use returned %v, want fn's error", err)
	}
	if err := s.UseReadOnly(func([]byte) error { return want }); err != want {
		t.Errorf("UseReadOnly returned %v, want fn's error", err)
	}
}

// The bytes are protected outside Use: a slice kept past Use faults on reads and writes.
func TestSliceFaultsOutsideUse(t *testing.T) {
	st, _ := newStore(t)
	s := mustFromBytes(t, st, "0123456789")
	held := holdSlice(t, s)
	if !pkutest.ReadFault(held) || !pkutest.WriteFault(held) {
		t.Error("a slice kept past Use is accessible outside it")
	}
	err := guard.Catch(func() { pkutest.ReadByte(held, 3) })
	var v *guard.Violation
	if !errors.As(err, &v) || v.Arena != t.Name() {
		t.Errorf("read outside Use: %v, want a *guard.Violation in arena %q", err, t.Name())
	}
	if got := contents(t, s); got != "0123456789" {
		t.Errorf("secret changed to %q", got)
	}
}

// A write inside UseReadOnly faults; the secret is unchanged and stays usable.
func TestUseReadOnlyRefusesWrites(t *testing.T) {
	st, a := newStore(t)
	s := mustFromBytes(t, st, "read only")
	err := guard.Catch(func() {
		s.UseReadOnly(func(b []byte) error {
			b[0] = 'R'
			return nil
		})
	})
	if !errors.Is(err, guard.ErrViolation) {
		t.Fatalf("write inside UseReadOnly: %v, want a violation", err)
	}
	if got := contents(t, s); got != "read only" {
		t.Errorf("after the refused write: %q", got)
	}
	if err := s.Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil { // the faulting Use left no domain inside
		t.Errorf("Close after a fault inside UseReadOnly: %v", err)
	}
}

func TestUsePanics(t *testing.T) {
	st, _ := newStore(t)
	s := mustFromBytes(t, st, "x")
	func() {
		defer func() {
			if v := recover(); v != "inside" {
				t.Errorf("recovered %v, want fn's panic", v)
			}
		}()
		s.Use(func([]byte) error { panic("inside") })
	}()
	if got := contents(t, s); got != "x" { // counted out: Destroy would wait forever otherwise
		t.Errorf("after a panic in Use: %q", got)
	}
	if err := s.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, use := range []func(func([]byte) error) error{s.Use, s.UseReadOnly} {
		func() {
			defer func() {
				if v := recover(); v != "secrets: Use of a nil function" {
					t.Errorf("nil fn: recovered %v", v)
				}
			}()
			use(nil)
		}()
	}
}

// Use runs fn through domain.DoSecret: with erasure exactly where the build has it.
func TestUseErases(t *testing.T) {
	st, _ := newStore(t)
	s := mustFromBytes(t, st, "x")
	for _, use := range []func(func([]byte) error) error{s.Use, s.UseReadOnly} {
		use(func([]byte) error {
			if domain.SecretErasure() != domain.SecretErasureAvailable() {
				t.Errorf("inside Use: SecretErasure() = %v, SecretErasureAvailable() = %v",
					domain.SecretErasure(), domain.SecretErasureAvailable())
			}
			return nil
		})
	}
}

func TestNestedUse(t *testing.T) {
	st, a := newStore(t)
	other, _ := newStore(t)
	s := mustFromBytes(t, st, "outer")
	same := mustFromBytes(t, st, "same store")
	far := mustFromBytes(t, other, "other store")
	err := s.Use(func(outer []byte) error {
		if err := s.UseReadOnly(func(b []byte) error {
			if string(b) != "outer" {
				t.Errorf("the same Secret nested: %q", b)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := same.Use(func(b []byte) error {
			if string(b) != "same store" || string(outer) != "outer" {
				t.Errorf("same Store nested: %q, outer %q", b, outer)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := far.Use(func(b []byte) error {
			if string(b) != "other store" {
				t.Errorf("other Store nested: %q", b)
			}
			// The domain switches the thread to exactly the inner grants.
			if a.Mode() == arena.PKU && !pkutest.ReadFault(outer) {
				t.Error("PKU mode: the outer Store is readable inside another Store's Use")
			}
			return nil
		}); err != nil {
			return err
		}
		if string(outer) != "outer" {
			t.Errorf("outer after the nested Uses: %q", outer)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDestroy(t *testing.T) {
	st, a := newStore(t)
	s := mustFromBytes(t, st, "wipe me")
	held := holdSlice(t, s)
	copied := s // copies are the same secret
	if err := s.Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := copied.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
	if n := objects(a); n != 0 {
		t.Errorf("%d objects after Destroy", n)
	}
	look, _ := domain.New(domain.ReadOnly(a))
	look.Do(func() error {
		if !isZero(held) {
			t.Errorf("the destroyed slot holds %q", held)
		}
		return nil
	})
	for name, use := range map[string]func(func([]byte) error) error{
		"Use": s.Use, "UseReadOnly": s.UseReadOnly, "copy's Use": copied.Use,
	} {
		err := use(func([]byte) error { t.Error("fn ran"); return nil })
		if !errors.Is(err, secrets.ErrDestroyed) {
			t.Errorf("%s after Destroy: %v, want ErrDestroyed", name, err)
		}
	}
	if s.Len() != 0 || s.EqualBytes([]byte("wipe me")) || s.Equal(copied) {
		t.Errorf("after Destroy: Len %d, equal to its bytes or itself", s.Len())
	}
}

func TestZeroSecret(t *testing.T) {
	var s secrets.Secret
	if err := s.Use(func([]byte) error { return nil }); !errors.Is(err, secrets.ErrDestroyed) {
		t.Errorf("Use of the zero Secret: %v", err)
	}
	if s.Len() != 0 || s.Destroy() != nil || s.Equal(s) || s.EqualBytes(nil) {
		t.Error("the zero Secret is not a destroyed one")
	}
}

func TestDestroyInsideUsePanics(t *testing.T) {
	switch runtime.GOARCH {
	case "amd64", "arm64", "ppc64le":
	default:
		t.Skipf("goroutines cannot be told apart on %s: Destroy inside Use deadlocks there",
			runtime.GOARCH)
	}
	st, a := newStore(t)
	s := mustFromBytes(t, st, "x")
	err := s.Use(func([]byte) (err error) {
		defer func() {
			if v := recover(); v != "secrets: Destroy inside a Use of the same Secret" {
				t.Errorf("recovered %v", v)
			}
		}()
		return s.Destroy()
	})
	if err != nil || contents(t, s) != "x" {
		t.Errorf("Use: %v; the secret must be intact after the refused Destroy", err)
	}
	s.Destroy()
	if n := objects(a); n != 0 {
		t.Errorf("%d objects after Destroy", n)
	}
}

// After the Store's arena is closed, Use says so and Destroy has nothing to do.
func TestClosedArena(t *testing.T) {
	st, a := newStore(t)
	s := mustFromBytes(t, st, "x")
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Use(func([]byte) error { return nil }); !errors.Is(err, arena.ErrClosed) {
		t.Errorf("Use after Close: %v, want ErrClosed", err)
	}
	if err := s.Destroy(); err != nil {
		t.Errorf("Destroy after Close: %v", err)
	}
	if _, err := st.Random(8); !errors.Is(err, arena.ErrClosed) {
		t.Errorf("Random after Close: %v, want ErrClosed", err)
	}
}
