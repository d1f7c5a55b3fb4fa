package arena_test

import (
	"errors"
	"runtime"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/unix"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// probeClosed checks, from a thread outside every domain and from a thread inside a domain over
// another arena, that b can be neither read directly nor passed to write(2).
func probeClosed(t *testing.T, other *arena.Arena, b []byte, when string) {
	t.Helper()
	probe := func(where string) {
		if !pkutest.ReadFault(b) {
			t.Errorf("%s: a live secret is readable from a thread %s", when, where)
		}
		_, w := pkutest.Pipe(t)
		if _, err := unix.Write(w, b); !errors.Is(err, unix.EFAULT) {
			t.Errorf("%s: write(2) of a live secret from a thread %s: %v, want EFAULT",
				when, where, err)
		}
	}
	done := make(chan struct{})
	go func() { // a fresh goroutine on a locked thread of its own: outside every domain
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		probe("outside every domain")
	}()
	<-done
	done = make(chan struct{})
	go func() {
		defer close(done)
		within(t, other, pkru.ReadWrite, func() { probe("inside a domain over another arena") })
	}()
	<-done
}

// The final wipe of Close opens nothing to other threads: held before its first page is wiped,
// with live secrets still in place, no other thread can read them (directly or through write(2)):
// with the key bound, with the arena parked (PKU mode), and in Mprotect mode.
func TestCloseOpensNothing(t *testing.T) {
	cases := []struct {
		name string
		park bool
	}{{"bound", false}, {"parked", true}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.park {
				pkutest.RequirePKU(t)
			}
			a, err := arena.NewArena(arena.Name("closing"))
			must(t, err)
			other := newArena(t, arena.Name("other"))
			mustAlloc(t, other, 16)
			live := mustAlloc(t, a, 32)
			pending := mustAlloc(t, a, 32)
			within(t, a, pkru.ReadWrite, func() { fill(live, 7); fill(pending, 9) })
			must(t, a.Free(pending))
			if tc.park {
				parkAll(t)
				if _, ok := a.Key(); ok {
					t.Fatal("the arena kept its key")
				}
			}
			held := false
			defer arena.SetHold(func(string) {
				held = true
				probeClosed(t, other, live, "Close, "+tc.name)
			})()
			var wiped []bool
			defer arena.SetBeforeUnmap(func(m []byte) { wiped = append(wiped, allZero(m)) })()
			if err := a.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if !held || len(wiped) == 0 {
				t.Fatalf("the hook did not run (held %v, regions %d)", held, len(wiped))
			}
			for i, ok := range wiped {
				if !ok {
					t.Errorf("region %d not wiped", i)
				}
			}
		})
	}
}

// The cleanup backstop of an arena never closed opens nothing to other threads either, whether
// the arena still holds its key or not.
func TestBackstopOpensNothing(t *testing.T) {
	other := newArena(t, arena.Name("other"))
	mustAlloc(t, other, 16)
	keys := arena.Keys().Keys
	a, err := arena.NewArena(arena.Name("dropped"))
	must(t, err)
	live := mustAlloc(t, a, 32)
	within(t, a, pkru.ReadWrite, func() { fill(live, 5) })
	ran := make(chan struct{})
	defer arena.SetHold(func(op string) {
		if op == "backstop" {
			probeClosed(t, other, live, "cleanup backstop")
		} else if op == "backstop done" {
			close(ran)
		}
	})()
	a = nil
	pkutest.CollectUntil(ran)
	if n := arena.Keys().Keys; n > keys {
		t.Errorf("the backstop left %d keys held, %d before", n, keys)
	}
}

// A slice does not keep its arena alive (the documented choice): once the Arena is unreachable,
// the backstop wipes and unmaps its memory, live objects included, and a held slice faults.
func TestHeldSliceOfUnreachableArena(t *testing.T) {
	a, err := arena.NewArena(arena.Name("unreachable"))
	must(t, err)
	held := mustAlloc(t, a, 32)
	within(t, a, pkru.ReadWrite, func() { fill(held, 3) })
	done := make(chan struct{})
	defer arena.SetHold(func(op string) {
		if op == "backstop done" {
			close(done)
		}
	})()
	a = nil
	pkutest.CollectUntil(done)
	if !pkutest.ReadFault(held) {
		t.Error("a slice of an unreachable arena is still readable after its backstop ran")
	}
}

// The arena's own work on live arenas opens nothing to other threads: held in the middle of
// cutting a slab in a region that holds a live secret, of a batched wipe, and of Check, no other
// thread can read the secret (both modes; in PKU mode the work has the key on its own thread).
func TestMaintenanceOpensNothing(t *testing.T) {
	other := newArena(t, arena.Name("other"))
	mustAlloc(t, other, 16)
	a := newArena(t, arena.Name("busy"))
	live := mustAlloc(t, a, 32)
	freed := mustAlloc(t, a, 32)
	within(t, a, pkru.ReadWrite, func() { fill(live, 7); fill(freed, 8) })
	seen := map[string]bool{}
	defer arena.SetHold(func(op string) {
		if !seen[op] {
			seen[op] = true
			probeClosed(t, other, live, op)
		}
	})()
	mustAlloc(t, a, 1000) // another class: a new slab in the region that holds live
	must(t, a.Free(freed))
	must(t, a.Check()) // wipes the pending free, then checks every canary
	for _, op := range []string{"carve", "flush", "check"} {
		if !seen[op] {
			t.Errorf("the %s hook did not run (%v)", op, seen)
		}
	}
	ok := false
	within(t, a, pkru.ReadOnly, func() { ok = holds(live, 7) })
	if !ok {
		t.Error("the live secret changed")
	}
}
