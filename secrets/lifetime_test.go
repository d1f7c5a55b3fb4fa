package secrets_test

import (
	"runtime"
	"sync"
	"testing"
	"weak"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/secrets"
)

// cleanupRan returns a channel closed when a cleanup has freed a slot of a.
func cleanupRan(t *testing.T, a *arena.Arena) <-chan struct{} {
	done := make(chan struct{})
	var once sync.Once
	secrets.SetCleanupHook(func(of *arena.Arena) {
		if of == a {
			once.Do(func() { close(done) })
		}
	})
	t.Cleanup(func() { secrets.SetCleanupHook(nil) })
	return done
}

// A Secret dropped without Destroy is freed by its cleanup; the arena wipes the slot before
// anyone can see it again.
func TestCleanupFreesUnreachable(t *testing.T) {
	st, a := newStore(t)
	done := cleanupRan(t, a)
	func() {
		s := mustFromBytes(t, st, "forgotten")
		holdSlice(t, s) // and dropped: nothing refers to the Secret after this
	}()
	if n := objects(a); n != 1 {
		t.Fatalf("%d objects before collection, want 1", n)
	}
	pkutest.CollectUntil(done)
	if n := objects(a); n != 0 {
		t.Errorf("%d objects after the cleanup, want 0", n)
	}
}

// Copies of a Secret keep it alive: the cleanup runs only once every copy is gone, and
// Destroy stops it.
func TestCleanupWaitsForCopies(t *testing.T) {
	st, a := newStore(t)
	kept := func() secrets.Secret {
		s := mustFromBytes(t, st, "copied")
		return s // a copy; the original is gone with this frame
	}()
	for range 3 {
		runtime.GC()
	}
	if got := contents(t, kept); got != "copied" || objects(a) != 1 {
		t.Fatalf("a copy after collections: %q, %d objects", got, objects(a))
	}
	ran := cleanupRan(t, a)
	kept.Destroy()
	for range 3 {
		runtime.GC()
	}
	select {
	case <-ran:
		t.Error("the cleanup ran after Destroy")
	default:
	}
	if n := objects(a); n != 0 {
		t.Errorf("after Destroy: %d objects", n)
	}
}

// A Secret keeps its Store and arena reachable: with nothing else referring to them, its bytes
// stay usable through collections.
func TestSecretKeepsArenaAlive(t *testing.T) {
	a, err := arena.NewArena(arena.Name("kept alive"))
	if err != nil {
		t.Fatal(err)
	}
	wa := weak.Make(a)
	st, err := secrets.NewStore(a)
	if err != nil {
		t.Fatal(err)
	}
	s := mustFromBytes(t, st, "still here")
	a, st = nil, nil
	for range 5 {
		runtime.GC()
	}
	if wa.Value() == nil {
		t.Fatal("the arena was collected while a Secret of it is reachable")
	}
	if got := contents(t, s); got != "still here" {
		t.Errorf("after collections: %q", got)
	}
	s.Destroy()
	if err := wa.Value().Close(); err != nil {
		t.Error(err)
	}
}
