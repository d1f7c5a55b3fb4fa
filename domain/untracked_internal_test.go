package domain

import (
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
)

// untracked fills the calling goroutine's nesting bucket (fullBucket) and turns the overflow
// off, so that its tokens are untracked until the test ends.
func untracked(t *testing.T) {
	g := fullBucket(t)
	overflowOff.Store(true)
	t.Cleanup(func() { overflowOff.Store(false) })
	if e := entryFor(g); e != nil {
		t.Fatal("the goroutine is still tracked")
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
