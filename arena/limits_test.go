package arena_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
)

// reclaimSizes are the object sizes the reclaim scenario runs with: a small slot (pending frees
// wait in their shard's list) and a large object under the Mprotect-mode pending bound.
var reclaimSizes = []int{32, arena.MaxSmall + 808}

// reclaimScenario fills a up to a limit (the allocation that fails must match limitErr), frees
// some objects from this goroutine, so that they wait in its shard, and then allocates as many
// again from as many new goroutines at once, each on a shard of its own: every one of them must
// get memory, reclaimed from the pending frees, rather than an error. Past that the arena must
// still refuse.
func reclaimScenario(a *arena.Arena, size int, limitErr error) error {
	var held [][]byte
	var err error
	for len(held) < 1<<20 {
		var b []byte
		if b, err = a.Alloc(size); err != nil {
			break
		}
		held = append(held, b)
	}
	if !errors.Is(err, limitErr) {
		return fmt.Errorf("filling with %d-byte objects: after %d: %v, want %v",
			size, len(held), err, limitErr)
	}
	freed := min(50, len(held)/2)
	if freed == 0 {
		return fmt.Errorf("the limit let only %d objects of %d bytes in", len(held), size)
	}
	for _, b := range held[:freed] {
		if err := a.Free(b); err != nil {
			return err
		}
	}
	held = held[freed:]
	got := make([][]byte, freed)
	errs := make([]error, freed)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range freed {
		wg.Go(func() {
			start.Wait()
			got[i], errs[i] = a.Alloc(size)
		})
	}
	start.Done()
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d allocations refused while %d freed objects were pending: %v",
			failed, freed, freed, errors.Join(errs...))
	}
	if _, err := a.Alloc(size); !errors.Is(err, limitErr) {
		return fmt.Errorf("past the reclaimed objects: %v, want %v", err, limitErr)
	}
	for _, b := range append(held, got...) {
		if err := a.Free(b); err != nil {
			return err
		}
	}
	return a.Check()
}

// An arena at its Limit reclaims every shard's pending frees before it refuses (both modes).
func TestReclaimBeforeLimit(t *testing.T) {
	for _, size := range reclaimSizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			const limit = 256 << 10
			a := newArena(t, arena.Limit(limit))
			if err := reclaimScenario(a, size, arena.ErrLimit); err != nil {
				t.Fatal(err)
			}
			if st := a.Stats(); st.Reserved > limit {
				t.Errorf("reserved %d bytes past the limit of %d", st.Reserved, limit)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	a := newArena(t, arena.Limit(64<<10))
	n := 0
	var err error
	for ; n < 10000; n++ {
		if _, err = a.Alloc(1000); err != nil {
			break
		}
	}
	if !errors.Is(err, arena.ErrLimit) {
		t.Fatalf("after %d allocations: %v, want ErrLimit", n, err)
	}
	if st := a.Stats(); st.Reserved > 64<<10 {
		t.Errorf("reserved %d bytes past the 64 KiB limit", st.Reserved)
	}
	if _, err := arena.NewArena(arena.Limit(-1)); !errors.Is(err, arena.ErrInvalidOption) {
		t.Errorf("Limit(-1): %v", err)
	}
}

// A new region whose protection cannot be set is unmapped at once, never left open with objects
// in it: the allocation fails with the cause, and the next one gets a sealed region.
func TestSealFailureLeavesNothing(t *testing.T) {
	a := newArena(t)
	errSeal := errors.New("injected seal failure")
	fail := true
	defer arena.SetFailure(func(op string, _ int) error {
		if op == "seal" && fail {
			return errSeal
		}
		return nil
	})()
	for _, n := range []int{32, arena.MaxSmall + 1} {
		if _, err := a.Alloc(n); !errors.Is(err, errSeal) {
			t.Fatalf("Alloc(%d) with the seal failing: %v", n, err)
		}
		if st := a.Stats(); st.Regions != 0 || st.Reserved != 0 || st.Locked != 0 {
			t.Fatalf("after a failed seal: %+v", st)
		}
	}
	fail = false
	b := mustAlloc(t, a, 32)
	if pkutest.ReadFault(b) == false {
		t.Error("an object in a region sealed after a failure is readable outside a domain")
	}
}
