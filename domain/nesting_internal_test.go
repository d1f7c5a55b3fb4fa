package domain

import (
	"runtime"
	"sync"
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/gid"
)

// Threads inside a domain at once each get an entry of their own, owned by the thread that
// holds the token, and a thread keeps its entry after its last Exit: the next goroutine to
// enter there finds the same one, at depth 0.
func TestThreadsGetTheirOwnEntries(t *testing.T) {
	if gid.Thread() == 0 {
		t.Skip("no thread identifiers on " + runtime.GOARCH + ": every token is untracked")
	}
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	const n = 32
	type inside struct {
		ent    *nestEntry
		thread uintptr
	}
	got := make(chan inside, n)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			tok := d.Enter()
			got <- inside{tok.ent, gid.Thread()}
			<-release
			tok.Exit()
			again := d.Enter()
			if again.ent != tok.ent || again.ent.depth != 1 {
				t.Errorf("after its last Exit the thread has entry %p at depth %d, want %p at 1",
					again.ent, again.ent.depth, tok.ent)
			}
			again.Exit()
		})
	}
	seen := map[*nestEntry]bool{}
	for range n {
		in := <-got
		switch {
		case in.ent == nil:
			t.Error("a thread inside is not tracked")
		case seen[in.ent]:
			t.Errorf("entry %p shared by two threads inside at once", in.ent)
		case in.ent.thread.Load() != in.thread:
			t.Errorf("entry %p names thread %#x, its token's is %#x", in.ent,
				in.ent.thread.Load(), in.thread)
		}
		seen[in.ent] = true
	}
	close(release)
	wg.Wait()
}
