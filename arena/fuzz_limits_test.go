package arena_test

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// errInjected is what the fuzzer's failing mappings return: the arena must treat it as a full
// RLIMIT_MEMLOCK.
var errInjected = fmt.Errorf("injected mapping failure: %w", arena.ErrMemlock)

// FuzzLimits drives an arena at its limits: a small Limit, mappings that fail as RLIMIT_MEMLOCK
// would, domains held open across operations (Enter/Exit without package domain: a pinned key
// and the register in PKU mode, Open/Release in Mprotect mode), and Close at any point. It
// checks that
//   - an allocation fails only with ErrLimit or the injected ErrMemlock, never past the Limit;
//   - once an object of some size is freed after an allocation of that size was refused, the
//     same allocation succeeds (pending frees are reclaimed before refusing);
//   - failures leave the live objects intact and the statistics right;
//   - Close while inside fails with ErrBusy and changes nothing; after Close every call
//     returns ErrClosed.
//
// Run it long with: go test -run '^$' -fuzz FuzzLimits -fuzztime 10m ./arena/
func FuzzLimits(f *testing.F) {
	f.Add(uint8(4), []byte{0, 200, 0, 200, 0, 200, 0, 200, 1, 0, 0, 200, 2, 3, 0, 9})
	f.Add(uint8(1), []byte{6, 0, 0, 50, 3, 0, 0, 255, 4, 0, 5, 0, 7, 0})
	f.Add(uint8(16), []byte{0, 1, 0, 1, 1, 0, 2, 1, 0, 1, 5, 0, 3, 0, 6, 0, 7, 0})
	f.Fuzz(func(t *testing.T, limitPages uint8, ops []byte) {
		if len(ops) > 1024 {
			ops = ops[:1024]
		}
		limit := (1 + int64(limitPages)) * 16 << 10 // 16 KiB .. 4 MiB
		a, err := arena.NewArena(arena.Limit(limit))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		failing := 0 // mappings still to fail
		defer arena.SetFailure(func(op string, _ int) error {
			if op == "map" && failing > 0 {
				failing--
				return errInjected
			}
			return nil
		})()

		var m model
		refused := -1 // size of the last allocation refused for a limit
		inside := 0   // domains held open
		var saved []pkru.Rights
		closed := false
		enter := func() {
			if a.Mode() == arena.PKU {
				k, err := a.PinKey(true)
				if err != nil {
					t.Fatal(err)
				}
				if inside == 0 {
					runtime.LockOSThread()
				}
				r := pkru.Read()
				saved = append(saved, r)
				pkru.Write(r.With(k, pkru.ReadWrite))
			} else if err := a.Open(pkru.ReadWrite); err != nil {
				t.Fatal(err)
			}
			inside++
		}
		exit := func() {
			inside--
			if a.Mode() == arena.PKU {
				pkru.Write(saved[len(saved)-1])
				saved = saved[:len(saved)-1]
				a.UnpinKey()
				if inside == 0 {
					runtime.UnlockOSThread()
				}
			} else {
				a.Release(pkru.ReadWrite)
			}
		}
		defer func() {
			for inside > 0 {
				exit()
			}
		}()
		alloc := func(n int, seed byte) ([]byte, error) {
			b, err := a.Alloc(n)
			switch {
			case closed:
				if !errors.Is(err, arena.ErrClosed) {
					t.Fatalf("Alloc after Close: %v", err)
				}
				return nil, err
			case err != nil:
				if !errors.Is(err, arena.ErrLimit) && !errors.Is(err, arena.ErrMemlock) {
					t.Fatalf("Alloc(%d): %v", n, err)
				}
				return nil, err
			}
			m.add(t, a, b, seed)
			return b, nil
		}
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%8, int(ops[i+1])
			switch op {
			case 0: // alloc: small sizes, and large ones up to 64 KiB
				n := 1 + arg*arg
				if _, err := alloc(n, byte(i)); err != nil && !closed {
					refused = n
				}
			case 1: // free; freeing an object the size of a refused allocation makes room for it
				if len(m.live) == 0 || closed {
					continue
				}
				o := m.free(t, a, arg)
				if len(o.b) == refused && failing == 0 {
					if _, err := alloc(len(o.b), byte(i)); err != nil {
						t.Fatalf("Alloc(%d) refused after an object of that size was freed: %v",
							len(o.b), err)
					}
					refused = -1
				}
			case 2: // the next mappings fail
				failing = arg % 4
			case 3: // contents and canaries
				if closed {
					if err := a.Check(); !errors.Is(err, arena.ErrClosed) {
						t.Fatalf("Check after Close: %v", err)
					}
					continue
				}
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
			case 4: // enter
				if !closed && inside < 3 {
					enter()
				}
			case 5: // exit
				if inside > 0 {
					exit()
				}
			case 6: // close
				err := a.Close()
				switch {
				case closed && err != nil:
					t.Fatalf("second Close: %v", err)
				case inside > 0 && !errors.Is(err, arena.ErrBusy):
					t.Fatalf("Close while inside: %v, want ErrBusy", err)
				case inside == 0 && err != nil:
					t.Fatalf("Close: %v", err)
				case inside == 0:
					closed, m = true, model{}
				}
			case 7: // statistics match the model
				if closed {
					continue
				}
				st := a.Stats()
				if st.Objects != int64(len(m.live)) || st.InUse != m.inUse || st.Reserved > limit {
					t.Fatalf("stats %+v; model: %d objects, %d bytes, limit %d",
						st, len(m.live), m.inUse, limit)
				}
			}
		}
	})
}
