package arena_test

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// Goroutines allocate, fill, check and free concurrently (run with -race): no object ever
// holds another's bytes, and the statistics add up.
func TestConcurrentAllocFree(t *testing.T) {
	a := newArena(t)
	const goroutines, rounds = 8, 400
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			var mine [][]byte
			for i := 0; i < rounds; i++ {
				if len(mine) > 0 && rng.IntN(3) == 0 {
					j := rng.IntN(len(mine))
					b := mine[j]
					mine[j] = mine[len(mine)-1]
					mine = mine[:len(mine)-1]
					ok := true
					within(t, a, pkru.ReadOnly, func() { ok = holds(b, byte(g)) })
					if !ok {
						t.Errorf("goroutine %d: object changed under it", g)
						return
					}
					if err := a.Free(b); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				n := 1 + rng.IntN(200)
				if rng.IntN(50) == 0 {
					n = 2049 + rng.IntN(9000)
				}
				b, err := a.Alloc(n)
				if err != nil {
					t.Error(err)
					return
				}
				within(t, a, pkru.ReadWrite, func() { fill(b, byte(g)) })
				mine = append(mine, b)
			}
			for _, b := range mine {
				if err := a.Free(b); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	st := a.Stats()
	if st.Objects != 0 || st.InUse != 0 || st.Allocs != st.Frees {
		t.Errorf("stats do not add up: %+v", st)
	}
	if err := a.Check(); err != nil {
		t.Error(err)
	}
	if a.Mode() == arena.Mprotect && st.Allocs == 0 {
		t.Error("nothing allocated")
	}
}
