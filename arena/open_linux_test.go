package arena_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// mprotectArena returns an arena in Mprotect mode; on a machine with keys it re-runs nothing
// and skips, since the mode is fixed per process (PKEYARENA_FORCE_FALLBACK).
func mprotectArena(t *testing.T) *arena.Arena {
	a := newArena(t)
	if a.Mode() != arena.Mprotect {
		t.Skip("protection keys are present: the Mprotect mode runs with PKEYARENA_FORCE_FALLBACK=1 (make test-host does)")
	}
	return a
}

// The pages get the union of the current opens: read-write while any open is read-write,
// read-only while only read-only opens remain, no access after the last Release.
func TestOpenUnion(t *testing.T) {
	a := mprotectArena(t)
	b := mustAlloc(t, a, 32)
	type state struct{ read, write bool }
	check := func(step string, want state) {
		t.Helper()
		got := state{!pkutest.ReadFault(b), !pkutest.WriteFault(b)}
		if got != want {
			t.Errorf("%s: read=%v write=%v, want read=%v write=%v",
				step, got.read, got.write, want.read, want.write)
		}
	}
	check("at rest", state{false, false})
	must(t, a.Open(pkru.ReadOnly))
	check("one read-only open", state{true, false})
	must(t, a.Open(pkru.ReadWrite))
	check("read-only and read-write", state{true, true})
	a.Release(pkru.ReadWrite)
	check("read-write released, read-only remains", state{true, false})
	must(t, a.Open(pkru.ReadOnly))
	a.Release(pkru.ReadOnly)
	check("one of two read-only opens released", state{true, false})
	a.Release(pkru.ReadOnly)
	check("all released", state{false, false})

	if err := a.Open(pkru.NoAccess); !errors.Is(err, pkru.ErrInvalidAccess) {
		t.Errorf("Open(NoAccess): %v", err)
	}
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Error("an unmatched Release did not panic")
			}
		}()
		a.Release(pkru.ReadWrite)
	}()
}

func TestCloseWhileOpen(t *testing.T) {
	a := mprotectArena(t)
	mustAlloc(t, a, 32)
	must(t, a.Open(pkru.ReadOnly))
	if err := a.Close(); !errors.Is(err, arena.ErrBusy) {
		t.Fatalf("Close while open: %v, want ErrBusy", err)
	}
	a.Release(pkru.ReadOnly)
	must(t, a.Close())
}

// Frees in Mprotect mode wait, protected, and are wiped at the next opening, before reuse, and
// past the pending bound.
func TestPendingFrees(t *testing.T) {
	a := mprotectArena(t)
	b := mustAlloc(t, a, 32)
	within(t, a, pkru.ReadWrite, func() { fill(b, 1) })
	must(t, a.Free(b))
	if st := a.Stats(); st.Pending != 32 {
		t.Errorf("pending %d bytes after one free, want 32", st.Pending)
	}
	within(t, a, pkru.ReadOnly, func() {
		if !allZero(b) {
			t.Error("not wiped at the next opening")
		}
	})
	if st := a.Stats(); st.Pending != 0 || st.Flushes == 0 {
		t.Errorf("after opening: %+v", st)
	}

	a.SetPendingMax(1024)
	var bs [][]byte
	for i := 0; i < 100; i++ {
		bs = append(bs, mustAlloc(t, a, 32))
	}
	for _, b := range bs {
		must(t, a.Free(b))
	}
	if st := a.Stats(); st.Pending > 1024+32 {
		t.Errorf("pending %d bytes, bound 1024", st.Pending)
	}
}

// Many goroutines open and release read-only and read-write at once: the counts stay exact
// and, once all are out, the pages are closed again.
func TestOpenConcurrent(t *testing.T) {
	a := mprotectArena(t)
	b := mustAlloc(t, a, 32)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		acc := pkru.ReadOnly
		if g%2 == 0 {
			acc = pkru.ReadWrite
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := a.Open(acc); err != nil {
					t.Error(err)
					return
				}
				pkutest.ReadByte(b, 0) // readable while any open is held
				a.Release(acc)
			}
		}()
	}
	wg.Wait()
	if !pkutest.ReadFault(b) {
		t.Error("pages left open after every goroutine released")
	}
}
