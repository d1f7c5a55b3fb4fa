package domain

import (
	"runtime"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
	"github.com/pkeyarena/pkeyarena/internal/gid"
)

// untracked locks the calling goroutine to its thread and fills that thread's neighbourhood in
// the nesting table with owners no thread has (odd values: descriptors are aligned), setting the
// thread's own entry aside, so that its tokens are untracked until the test ends.
func untracked(t *testing.T) {
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	m := gid.Thread()
	if m == 0 {
		t.Skip("no thread identifiers on " + runtime.GOARCH + ": every token is untracked")
	}
	i := gid.Slot(m, nestBits)
	restore := map[*nestEntry]uintptr{}
	for p := range uint(nestProbes) {
		e := &nest[(i+p)%nestSize]
		fake := uintptr(2*p + 1)
		if e.thread.CompareAndSwap(0, fake) {
			restore[e] = 0
		} else if e.thread.CompareAndSwap(m, fake) { // the thread's own, at depth 0
			restore[e] = m
		}
	}
	t.Cleanup(func() {
		for e, owner := range restore {
			e.thread.Store(owner)
		}
	})
	if e := entryFor(m); e != nil {
		t.Fatal("the thread is still tracked")
	}
}

func refused(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if msg, _ := recover().(string); !strings.Contains(msg, "exited already") {
			t.Errorf("%s: panic %q, want one saying the token was exited already", what, msg)
		}
	}()
	fn()
}

// On a goroutine the nesting table cannot track, a token (or a copy of it) still cannot be
// exited twice: the same domain nested, its inner token exited again, would otherwise give back
// the outer token's pin while the thread is inside, and Close would free a key the register
// still grants. The refusal changes nothing: the outer token exits, and the arena closes.
func TestUntrackedTokenExitsOnce(t *testing.T) {
	untracked(t)
	a := arenatest.NewArena(t, arena.Name("untracked"))
	arenatest.MustAlloc(t, a, 32)
	d, err := New(ReadWrite(a))
	if err != nil {
		t.Fatal(err)
	}
	outer := d.Enter()
	inner := d.Enter()
	if inner.ent != nil {
		t.Fatal("the token is tracked")
	}
	inner.Exit()
	refused(t, "the inner token exited again", inner.Exit)
	copied := outer
	outer.Exit()
	refused(t, "a copy of the outer token exited after it", copied.Exit)
	if err := a.Close(); err != nil {
		t.Errorf("Close after both tokens were exited once: %v", err)
	}
}
