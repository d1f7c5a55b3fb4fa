package domain_test

import (
	"runtime"
	"syscall"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/gid"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
)

// onDescriptor runs fn on a new goroutine that the runtime gives descriptor desc (that of a
// goroutine that ended), starting goroutines until one gets it; the others stay blocked, so that
// they do not give theirs back. It reports whether one got it.
func onDescriptor(desc uintptr, fn func()) bool {
	release := make(chan struct{})
	defer close(release)
	for range 20000 {
		got := make(chan bool)
		go func() {
			if gid.Descriptor() != desc {
				got <- false
				<-release
				return
			}
			fn()
			got <- true
		}()
		if <-got {
			return true
		}
	}
	return false
}

// A goroutine that ends inside two domains, the inner one empty, hands out the inner token; the
// goroutine that the runtime then gives its descriptor is another goroutine all the same: Exit
// of that token there panics, and does not write back the ended goroutine's rights (its grant of
// the outer domain's arena).
func TestTokenOfEndedGoroutineOnItsDescriptor(t *testing.T) {
	pkutest.RequirePKU(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // descriptors are reused at once
	a, err := arena.NewArena(arena.Name("ended"))
	if err != nil {
		t.Fatal(err)
	}
	b := alloc(t, a, 32)
	da, empty := newDomain(t, domain.ReadWrite(a)), newDomain(t)
	type left struct {
		desc  uintptr
		inner domain.Token
	}
	ch := make(chan left, 1)
	go func() {
		da.Enter()
		ch <- left{gid.Descriptor(), empty.Enter()} // and ends inside both: its thread goes too
	}()
	l := <-ch
	var msg string
	var after access
	if !onDescriptor(l.desc, func() {
		msg = recoverPanic(l.inner.Exit)
		after = probe(b)
	}) {
		t.Skip("no goroutine got the ended goroutine's descriptor")
	}
	if msg == "" || after != (access{}) {
		t.Errorf("Exit of an ended goroutine's token on its descriptor's next goroutine: panic %q, "+
			"then %+v on the arena outside every domain", msg, after)
	}
}

// The same for a token that Do's misuse cleanup dropped: its Exit on the goroutine that got the
// descriptor is refused, and does not unlock that goroutine's thread while it is inside a domain
// of its own (another goroutine would then run there with its rights).
func TestDroppedTokenOfEndedGoroutineOnItsDescriptor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ax, err := arena.NewArena(arena.Name("x")) // kept open by the dropped token: not closed
	if err != nil {
		t.Fatal(err)
	}
	ab := newArena(t, "b")
	alloc(t, ax, 32)
	bb := alloc(t, ab, 32)
	dx, dd, db := newDomain(t, domain.ReadOnly(ax)), newDomain(t), newDomain(t, domain.ReadWrite(ab))
	type left struct {
		desc uintptr
		x    domain.Token
	}
	ch := make(chan left, 1)
	go func() {
		var x domain.Token
		recoverPanic(func() { dd.Do(func() error { x = dx.Enter(); return nil }) })
		ch <- left{gid.Descriptor(), x} // ends locked (Do leaves it so): its thread goes too
	}()
	l := <-ch
	var msg string
	var mine, theirs int
	var seen access
	if !onDescriptor(l.desc, func() {
		tok := db.Enter()
		mine = syscall.Gettid()
		msg = recoverPanic(l.x.Exit)
		done := make(chan struct{})
		go func() {
			theirs, seen = syscall.Gettid(), probe(bb)
			close(done)
		}()
		<-done // blocks inside db: a goroutine could run on this thread only if it were unlocked
		tok.Exit()
	}) {
		t.Skip("no goroutine got the ended goroutine's descriptor")
	}
	if msg == "" {
		t.Error("Exit of an ended goroutine's dropped token on another goroutine did not panic")
	}
	if mine == theirs {
		t.Errorf("another goroutine ran on the thread of a goroutine inside a domain (%+v on its "+
			"arena)", seen)
	}
	t.Cleanup(func() {
		if err := ax.Close(); err == nil {
			t.Error("the dropped token's pin (or open) was given back by another goroutine")
		}
	})
}
