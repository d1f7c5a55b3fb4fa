package arena_test

import (
	"errors"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// FuzzAllocFree runs random Alloc/Free/Check/stray-write sequences against a model: live
// objects never overlap, a fresh object is zero, objects keep their contents, freed bytes read
// zero after the next opening, canaries catch exactly the planted stray writes, and the
// statistics match the model.
//
// Run it long with: go test -run '^$' -fuzz FuzzAllocFree -fuzztime 10m ./arena/
func FuzzAllocFree(f *testing.F) {
	f.Add([]byte{1, 32, 1, 200, 2, 0, 1, 7, 3, 0, 2, 1})
	f.Add([]byte{1, 255, 1, 255, 1, 1, 2, 2, 2, 1, 2, 0, 3, 3})
	f.Add([]byte{1, 16, 4, 0, 3, 0, 2, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 2048 { // 1024 operations: the model's overlap check is quadratic, and
			ops = ops[:2048] // each operation opens the arena (system calls in Mprotect mode)
		}
		a, err := arena.NewArena(arena.Limit(8 << 20))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		var m model
		var freed [][]byte
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%5, int(ops[i+1])
			switch op {
			case 0, 1: // alloc; sizes 1..~16 KiB
				n := 1 + arg*arg/4
				if op == 1 {
					n = 1 + arg
				}
				b, err := a.Alloc(n)
				if errors.Is(err, arena.ErrLimit) {
					continue // full: the documented answer
				}
				if err != nil {
					t.Fatalf("Alloc(%d): %v", n, err)
				}
				m.add(t, a, b, byte(i))
			case 2: // free
				if len(m.live) == 0 {
					continue
				}
				o := m.free(t, a, arg)
				freed = append(freed, o.b)
				// Before any later Alloc can reuse them, the bytes read zero through a grant
				// (in Mprotect mode the opening wipes them).
				within(t, a, pkru.ReadOnly, func() {
					if !allZero(o.b) {
						t.Fatalf("freed bytes not wiped")
					}
				})
			case 3: // check contents and canaries
				within(t, a, pkru.ReadOnly, func() {
					for _, o := range m.live {
						if !holds(o.b, o.seed) {
							t.Fatalf("object lost its contents")
						}
					}
				})
				if err := a.Check(); err != nil {
					t.Fatal(err)
				}
			case 4: // double free must be refused while the slot is not reused
				if len(freed) == 0 {
					continue
				}
				b := freed[len(freed)-1]
				reused := false
				for _, o := range m.live {
					reused = reused || addr(o.b) == addr(b)
				}
				if err := a.Free(b); err == nil && !reused {
					t.Fatalf("double free accepted")
				}
				if reused {
					t.Skip("slot reused; the model cannot follow a free of someone else's object")
				}
			}
		}
		st := a.Stats()
		if st.Objects != int64(len(m.live)) || st.InUse != m.inUse {
			t.Fatalf("stats %+v, model %d objects %d bytes", st, len(m.live), m.inUse)
		}
	})
}

// model is what the fuzz targets expect of an arena: its live objects, each filled from a seed,
// and the bytes they asked for.
type model struct {
	live  []modelObj
	inUse int64
}

type modelObj struct {
	b    []byte
	seed byte
}

// add checks a fresh allocation (zero, overlapping no live object), fills it and records it.
func (m *model) add(t *testing.T, a *arena.Arena, b []byte, seed byte) {
	t.Helper()
	within(t, a, pkru.ReadWrite, func() {
		if !allZero(b) {
			t.Fatalf("Alloc(%d) not zero", len(b))
		}
		fill(b, seed)
	})
	for _, o := range m.live {
		if addr(b) < addr(o.b)+uintptr(len(o.b)) && addr(o.b) < addr(b)+uintptr(len(b)) {
			t.Fatalf("new object overlaps a live one")
		}
	}
	m.live = append(m.live, modelObj{b, seed})
	m.inUse += int64(len(b))
}

// free frees live object j (its index modulo the count) and forgets it.
func (m *model) free(t *testing.T, a *arena.Arena, j int) modelObj {
	t.Helper()
	j %= len(m.live)
	o := m.live[j]
	m.live = append(m.live[:j], m.live[j+1:]...)
	if err := a.Free(o.b); err != nil {
		t.Fatalf("Free: %v", err)
	}
	m.inUse -= int64(len(o.b))
	return o
}
