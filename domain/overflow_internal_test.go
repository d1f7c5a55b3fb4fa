package domain

import (
	"runtime"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
	"github.com/pkeyarena/pkeyarena/internal/gid"
)

// fullBucket fills the calling goroutine's nesting bucket with owners no goroutine has (the
// largest identifiers: goroutine IDs count up from 1), until the test ends, and returns the
// goroutine's identifier.
func fullBucket(t *testing.T) uintptr {
	g := gid.Current()
	if g == 0 {
		t.Skip("no goroutine identifiers on " + runtime.GOARCH + ": every token is untracked")
	}
	b := &nest[gid.Slot(g, nestBucketBits)]
	for i := range b {
		if !b[i].g.CompareAndSwap(0, fakeOwner(i)) {
			t.Fatalf("bucket way %d is taken by %#x", i, b[i].g.Load())
		}
	}
	t.Cleanup(func() {
		for i := range b {
			b[i].g.Store(0)
		}
	})
	return g
}

// fakeOwner is the owner fullBucket writes into way i: an identifier no goroutine has.
func fakeOwner(i int) uintptr { return ^uintptr(0) - uintptr(i) }

func mustPanicWith(t *testing.T, what, want string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if msg, _ := recover().(string); !strings.Contains(msg, want) {
			t.Errorf("%s: panic %q, want one containing %q", what, msg, want)
		}
	}()
	fn()
}

// A goroutine whose bucket is full is still tracked, on an overflow entry: its tokens get the
// order check, Do's misuse cleanup drops the tokens fn left inside, and the entry goes back when
// the goroutine leaves its last domain.
func TestOverflowEntryTracks(t *testing.T) {
	fullBucket(t)
	a := arenatest.NewArena(t, arena.Name("overflow"))
	arenatest.MustAlloc(t, a, 32)
	d, err := New(ReadWrite(a))
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := New()
	outer := d.Enter()
	inner := d.Enter()
	if outer.ent == nil || !outer.ent.spilled || inner.ent != outer.ent {
		t.Fatalf("tokens on entries %p and %p; want one overflow entry", outer.ent, inner.ent)
	}
	mustPanicWith(t, "the outer token exited first", "not the innermost", outer.Exit)
	inner.Exit()
	mustPanicWith(t, "the inner token exited again", "not the innermost", inner.Exit)
	outer.Exit()
	if n := overflow.live.Load(); n != 0 {
		t.Errorf("%d overflow entries claimed after the last Exit", n)
	}
	if _, ok := overflow.byG.Load(gid.Current()); ok {
		t.Error("the goroutine still has an overflow entry")
	}

	var escaped Token
	func() {
		defer func() { recover() }()
		d.Do(func() error {
			escaped = empty.Enter()
			return nil
		})
	}()
	escaped.Exit() // dropped by Do's cleanup: gives back its own (nothing) and frees the entry
	mustPanicWith(t, "a second Exit of the dropped token", "unbalanced or interleaved Exit",
		escaped.Exit)
	if n := overflow.live.Load(); n != 0 {
		t.Errorf("%d overflow entries claimed after the recovered Do", n)
	}
	runtime.UnlockOSThread() // Do's: it panicked before unlocking
	if err := a.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// Goroutines on overflow entries at once, nested, while the ways of their buckets fill and free
// up under them: each keeps one entry for all its tokens (a way that frees up is not taken by a
// goroutine that has an overflow entry), exits in order, and leaves nothing claimed.
func TestOverflowEntriesConcurrent(t *testing.T) {
	if gid.Current() == 0 {
		t.Skip("no goroutine identifiers here")
	}
	a := arenatest.NewArena(t, arena.Name("overflow"))
	arenatest.MustAlloc(t, a, 32)
	d, err := New(ReadOnly(a))
	if err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 16, 200
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		go func() {
			b := &nest[gid.Slot(gid.Current(), nestBucketBits)]
			var filled []int
			for i := range b {
				if b[i].g.CompareAndSwap(0, fakeOwner(i)) {
					filled = append(filled, i)
				}
			}
			msg := ""
			for r := 0; r < rounds && msg == ""; r++ {
				outer := d.Enter()
				if r == rounds/2 { // the bucket frees up while the goroutine is inside
					for _, i := range filled {
						b[i].g.Store(0)
					}
					filled = nil
				}
				inner := d.Enter()
				if inner.ent != outer.ent {
					msg = "nested tokens on two entries"
				}
				inner.Exit()
				outer.Exit()
			}
			for _, i := range filled {
				b[i].g.Store(0)
			}
			errs <- msg
		}()
	}
	for w := 0; w < workers; w++ {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
	if n := overflow.live.Load(); n != 0 {
		t.Errorf("%d overflow entries claimed after every goroutine left", n)
	}
}
