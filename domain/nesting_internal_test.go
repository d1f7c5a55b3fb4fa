package domain

import (
	"runtime"
	"sync"
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/gid"
)

// Goroutines inside a domain at once each get an entry of their own, owned by the goroutine that
// holds the token, nested tokens share it, and the last Exit gives it back (unless the goroutine
// took over the entry of one that ended inside a domain with the same descriptor: its outermost
// token then nests in that goroutine's, and the entry stays claimed).
func TestGoroutinesGetTheirOwnEntries(t *testing.T) {
	if gid.Current() == 0 {
		t.Skip("no goroutine identifiers on " + runtime.GOARCH + ": every token is untracked")
	}
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	const n = 32
	type inside struct {
		ent     *nestEntry
		g       uintptr
		adopted bool
	}
	got := make(chan inside, n)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			outer := d.Enter()
			inner := d.Enter()
			if inner.ent != outer.ent {
				t.Errorf("nested tokens in entries %p and %p", outer.ent, inner.ent)
			}
			got <- inside{outer.ent, gid.Current(), outer.ids>>32 != 0}
			<-release
			inner.Exit()
			if outer.ent.g.Load() != gid.Current() {
				t.Error("an inner Exit gave the entry back")
			}
			outer.Exit()
		})
	}
	var ents []*nestEntry
	seen := map[*nestEntry]bool{}
	for range n {
		in := <-got
		switch {
		case in.ent == nil:
			t.Error("a goroutine inside is not tracked")
			continue
		case seen[in.ent]:
			t.Errorf("entry %p shared by two goroutines inside at once", in.ent)
		case in.ent.g.Load() != in.g:
			t.Errorf("entry %p names goroutine %#x, its token's is %#x", in.ent, in.ent.g.Load(),
				in.g)
		}
		seen[in.ent] = true
		if !in.adopted {
			ents = append(ents, in.ent)
		}
	}
	close(release)
	wg.Wait()
	for _, e := range ents {
		if o := e.g.Load(); o != 0 {
			t.Errorf("entry %p still owned by %#x after its goroutine's last Exit", e, o)
		}
	}
}

// Goroutines that end after leaving their domains (also those that return locked, ending their
// threads) leave no entry behind: the table cannot fill up with goroutines that are gone.
func TestEndedGoroutinesLeaveNoEntry(t *testing.T) {
	if gid.Current() == 0 {
		t.Skip("no goroutine identifiers on " + runtime.GOARCH + ": every token is untracked")
	}
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	before := claimedEntries()
	for i := range 400 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if i%2 == 0 {
				runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			}
			d.Enter().Exit()
		}()
		<-done
	}
	if after := claimedEntries(); after != before {
		t.Errorf("%d entries claimed before 400 goroutines entered, left and ended, %d after",
			before, after)
	}
}

func claimedEntries() int {
	n := 0
	for i := range nest {
		for j := range nest[i] {
			if nest[i][j].g.Load() != 0 {
				n++
			}
		}
	}
	return n
}
