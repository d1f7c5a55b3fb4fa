package secrets_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pkeyarena/pkeyarena/secrets"
)

// Many goroutines use one Secret at once, read-write and read-only, and each sees it whole.
func TestConcurrentUse(t *testing.T) {
	st, _ := newStore(t)
	s := mustFromBytes(t, st, "0123456789abcdef")
	var wg sync.WaitGroup
	var bad atomic.Int64
	for i := range 16 {
		wg.Go(func() {
			for range 200 {
				use := s.Use
				if i%2 == 1 {
					use = s.UseReadOnly
				}
				use(func(b []byte) error {
					if string(b) != "0123456789abcdef" {
						bad.Add(1)
					}
					return nil
				})
			}
		})
	}
	wg.Wait()
	if n := bad.Load(); n != 0 {
		t.Errorf("%d Uses saw other bytes", n)
	}
}

// Destroy racing with Uses: every Use either runs on the intact secret or returns
// ErrDestroyed; none runs on a wiped or reused slot, and none runs after Destroy returned.
func TestDestroyRacesUse(t *testing.T) {
	st, a := newStore(t)
	for round := range 20 {
		s := mustFromBytes(t, st, "intact secret bytes")
		var destroyed atomic.Bool
		var wg sync.WaitGroup
		var ran, refused, bad atomic.Int64
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				for {
					err := s.Use(func(b []byte) error {
						if destroyed.Load() || string(b) != "intact secret bytes" {
							bad.Add(1)
						}
						return nil
					})
					if errors.Is(err, secrets.ErrDestroyed) {
						refused.Add(1)
						return
					}
					ran.Add(1)
				}
			})
		}
		wg.Go(func() {
			<-start
			if err := s.Destroy(); err != nil {
				t.Error(err)
			}
			destroyed.Store(true)
			// A new Secret may take the freed slot; no Use of the old one may see it.
			if n, err := st.FromBytes([]byte("a new secret of its own")); err == nil {
				defer n.Destroy()
			}
		})
		close(start)
		wg.Wait()
		if bad.Load() != 0 || refused.Load() != 8 {
			t.Fatalf("round %d: %d Uses ran on a destroyed or changed secret, %d of 8 refused",
				round, bad.Load(), refused.Load())
		}
	}
	if n := objects(a); n != 0 {
		t.Errorf("%d objects left", n)
	}
}

// Destroy waits for a Use in progress: while fn runs, a Destroy on another goroutine has
// begun (new Uses are refused) but not finished, and the bytes are intact.
func TestDestroyWaitsForUse(t *testing.T) {
	st, a := newStore(t)
	s := mustFromBytes(t, st, "in use")
	begun := make(chan struct{})
	finished := make(chan struct{})
	err := s.Use(func(b []byte) error {
		go func() {
			close(begun)
			s.Destroy()
			close(finished)
		}()
		<-begun
		// Wait until the Destroy has begun: a Use from another goroutine is refused then.
		for {
			refused := make(chan bool)
			go func() {
				refused <- errors.Is(s.Use(func([]byte) error { return nil }), secrets.ErrDestroyed)
			}()
			if <-refused {
				break
			}
		}
		// Nested on this goroutine, too.
		err := s.UseReadOnly(func([]byte) error { return nil })
		if !errors.Is(err, secrets.ErrDestroyed) {
			t.Errorf("nested Use while Destroy waits: %v, want ErrDestroyed", err)
		}
		select {
		case <-finished:
			t.Error("Destroy returned while a Use was in progress")
		default:
		}
		if string(b) != "in use" {
			t.Errorf("bytes changed under a Use in progress: %q", b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	<-finished
	if n := objects(a); n != 0 {
		t.Errorf("%d objects after Destroy", n)
	}
}

// Concurrent Destroys: one wipes and frees, the others wait for it; all return nil.
func TestConcurrentDestroy(t *testing.T) {
	st, a := newStore(t)
	s := mustFromBytes(t, st, "once")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := s.Destroy(); err != nil {
				t.Error(err)
			}
			if n := objects(a); n != 0 {
				t.Errorf("a Destroy returned with %d objects left", n)
			}
		})
	}
	wg.Wait()
}
