package arena_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/pkru"
)

func TestModeMatchesSupport(t *testing.T) {
	a := newArena(t)
	want := arena.Mprotect
	if pkru.Supported() == nil {
		want = arena.PKU
	}
	if a.Mode() != want {
		t.Fatalf("Mode() = %v, want %v (pkru.Supported: %v)", a.Mode(), want, pkru.Supported())
	}
	if _, ok := a.Key(); ok != (want == arena.PKU) {
		t.Errorf("Key() ok=%v in mode %v", ok, a.Mode())
	}
	if pkutest.Required() && a.Mode() != arena.PKU {
		t.Fatal("protection keys are required here, but the arena does not use them")
	}
	t.Logf("%v, stats %+v", a, a.Stats())
}

func TestRequirePKU(t *testing.T) {
	a, err := arena.NewArena(arena.RequirePKU())
	if pkru.Supported() == nil {
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		return
	}
	if !errors.Is(err, pkru.ErrNotSupported) || a != nil {
		t.Fatalf("RequirePKU without keys: %v, %v; want ErrNotSupported", a, err)
	}
}

func TestAllocSizes(t *testing.T) {
	p := arena.PageSize
	sizes := []int{1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 255, 256, 257, 1023, 1024,
		2047, 2048, 2049, p - 1, p, p + 1, 3*p + 5, 1 << 20}
	a := newArena(t)
	var live [][]byte
	for i, n := range sizes {
		b := mustAlloc(t, a, n)
		if addr(b)%8 != 0 {
			t.Errorf("Alloc(%d) at %#x is not 8-byte aligned", n, addr(b))
		}
		within(t, a, pkru.ReadWrite, func() {
			if !allZero(b) {
				t.Errorf("Alloc(%d) is not zeroed", n)
			}
			fill(b, byte(i))
		})
		live = append(live, b)
	}
	within(t, a, pkru.ReadOnly, func() {
		for i, b := range live {
			if !holds(b, byte(i)) {
				t.Errorf("object %d (%d bytes) was overwritten by another", i, len(b))
			}
		}
	})
	st := a.Stats()
	total := 0
	for _, n := range sizes {
		total += n
	}
	if st.Objects != int64(len(sizes)) || st.InUse != int64(total) {
		t.Errorf("stats %+v, want %d objects, %d bytes", st, len(sizes), total)
	}
	if err := a.Check(); err != nil {
		t.Error(err)
	}
	for _, b := range live {
		if err := a.Free(b); err != nil {
			t.Errorf("Free(%d bytes): %v", len(b), err)
		}
	}
	if st := a.Stats(); st.Objects != 0 || st.InUse != 0 || st.Frees != int64(len(sizes)) {
		t.Errorf("after freeing all: %+v", st)
	}
}

func TestAllocInvalidSize(t *testing.T) {
	a := newArena(t)
	for _, n := range []int{0, -1, math.MinInt, arena.MaxAlloc + 1, math.MaxInt} {
		if b, err := a.Alloc(n); !errors.Is(err, arena.ErrInvalidSize) || b != nil {
			t.Errorf("Alloc(%d) = %d bytes, %v; want ErrInvalidSize", n, len(b), err)
		}
	}
	if st := a.Stats(); st.Regions != 0 {
		t.Errorf("invalid sizes mapped memory: %+v", st)
	}
	// The size limit fits int on every platform: 16 GiB with 64-bit int, 1 GiB with 32-bit.
	if want := map[int]uint64{64: 1 << 34, 32: 1 << 30}[strconv.IntSize]; uint64(arena.MaxAlloc) != want {
		t.Errorf("MaxAlloc = %d with %d-bit int, want %d", arena.MaxAlloc, strconv.IntSize, want)
	}
}

// Many objects of random sizes: none overlaps another, none overlaps a canary of another.
func TestNoOverlap(t *testing.T) {
	a := newArena(t)
	rng := rand.New(rand.NewPCG(1, 2))
	type obj struct {
		b    []byte
		seed byte
	}
	var objs []obj
	for i := 0; i < 3000; i++ {
		n := 1 + rng.IntN(300)
		if i%100 == 0 {
			n = 3000 + rng.IntN(20000)
		}
		objs = append(objs, obj{mustAlloc(t, a, n), byte(i)})
	}
	sorted := append([]obj(nil), objs...)
	sort.Slice(sorted, func(i, j int) bool { return addr(sorted[i].b) < addr(sorted[j].b) })
	for i := 1; i < len(sorted); i++ {
		prevEnd := addr(sorted[i-1].b) + uintptr(len(sorted[i-1].b))
		if prevEnd+8 > addr(sorted[i].b) { // room for the canary between them
			t.Fatalf("objects overlap or share no canary: [%#x,%#x) and %#x",
				addr(sorted[i-1].b), prevEnd, addr(sorted[i].b))
		}
	}
	within(t, a, pkru.ReadWrite, func() {
		for _, o := range objs {
			fill(o.b, o.seed)
		}
	})
	within(t, a, pkru.ReadOnly, func() {
		for _, o := range objs {
			if !holds(o.b, o.seed) {
				t.Fatalf("object at %#x lost its contents", addr(o.b))
			}
		}
	})
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
}

// A secret planted in an object reads back as zeros through a fresh grant after Free, and the
// slot handed out next is zero too.
func TestFreeWipes(t *testing.T) {
	for _, n := range []int{32, 2048, 3 * arena.PageSize} {
		a := newArena(t)
		b := mustAlloc(t, a, n)
		within(t, a, pkru.ReadWrite, func() { fill(b, 0xA5) })
		if err := a.Free(b); err != nil {
			t.Fatal(err)
		}
		within(t, a, pkru.ReadOnly, func() {
			if !allZero(b) {
				t.Errorf("%d bytes: the freed slot still holds the secret", n)
			}
		})
		c := mustAlloc(t, a, n)
		within(t, a, pkru.ReadOnly, func() {
			if !allZero(c) {
				t.Errorf("%d bytes: a reused slot is not zero", n)
			}
		})
	}
}

func TestFreeRejectsWhatItDidNotAllocate(t *testing.T) {
	a := newArena(t)
	other := newArena(t)
	b := mustAlloc(t, a, 32)
	o := mustAlloc(t, other, 32)
	big := mustAlloc(t, a, 3*arena.PageSize)
	tests := []struct {
		name string
		b    []byte
	}{
		{"Go heap slice", make([]byte, 32)},
		{"nil", nil},
		{"sub-slice at an offset", b[1:]},
		{"shorter sub-slice", b[:16]},
		{"another arena's slice", o},
		{"interior of a large object", big[arena.PageSize:]},
	}
	for _, tt := range tests {
		if err := a.Free(tt.b); !errors.Is(err, arena.ErrNotAllocated) {
			t.Errorf("%s: Free = %v, want ErrNotAllocated", tt.name, err)
		}
	}
	if err := a.Free(b); err != nil {
		t.Fatalf("the real slice after the bad frees: %v", err)
	}
	if err := a.Free(b); !errors.Is(err, arena.ErrNotAllocated) {
		t.Errorf("double free: %v, want ErrNotAllocated", err)
	}
	if err := a.Free(big); err != nil {
		t.Fatal(err)
	}
	if err := a.Free(big); !errors.Is(err, arena.ErrNotAllocated) {
		t.Errorf("double free of a large object: %v", err)
	}
	if st := a.Stats(); st.Objects != 0 || st.Frees != 2 {
		t.Errorf("stats after bad frees: %+v", st)
	}
}

// Writing one byte past the end (or before the start) of an object is caught.
func TestCanaries(t *testing.T) {
	tests := []struct {
		name          string
		size          int
		before, after int // how far to widen the slice to reach the canary
		at            func(w []byte) int
	}{
		{"overflow small", 32, 0, 1, func(w []byte) int { return len(w) - 1 }},
		{"underflow small", 32, 1, 0, func(w []byte) int { return 0 }},
		{"overflow large", 10000, 0, 1, func(w []byte) int { return len(w) - 1 }},
		{"underflow large", 10000, 1, 0, func(w []byte) int { return 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newArena(t)
			b := mustAlloc(t, a, tt.size)
			// round the size up to the slot: the canary follows the 8-byte-rounded object
			slot := (tt.size + 7) &^ 7
			after := tt.after
			if after > 0 {
				after += slot - tt.size
			}
			w := widen(b, tt.before, after)
			within(t, a, pkru.ReadWrite, func() { w[tt.at(w)] ^= 0xff })
			if err := a.Check(); !errors.Is(err, arena.ErrCorrupted) {
				t.Errorf("Check after a stray write: %v, want ErrCorrupted", err)
			}
			if err := a.Free(b); err != nil { // the canary is checked by the batched wipe
				t.Fatal(err)
			}
			within(t, a, pkru.ReadOnly, func() {}) // the next opening wipes and checks
			err := a.Check()
			if !errors.Is(err, arena.ErrCorrupted) {
				t.Errorf("after freeing the damaged object: %v, want ErrCorrupted", err)
			}
			if err := a.Check(); err != nil {
				t.Errorf("the canary was not restored: %v", err)
			}
		})
	}
}

func TestClose(t *testing.T) {
	a, err := arena.NewArena(arena.Name("closing"))
	if err != nil {
		t.Fatal(err)
	}
	var secrets [][]byte
	for i := 0; i < 100; i++ {
		b := mustAlloc(t, a, 64)
		within(t, a, pkru.ReadWrite, func() { fill(b, 0xC3) })
		secrets = append(secrets, b)
	}
	big := mustAlloc(t, a, 10000)
	within(t, a, pkru.ReadWrite, func() { fill(big, 0xC3) })
	mem, _ := a.RegionBounds()
	scanned := 0
	restore := arena.SetBeforeUnmap(func(m []byte) {
		scanned += len(m)
		if !allZero(m) {
			t.Errorf("region of %d bytes not wiped before unmap", len(m))
		}
	})
	defer restore()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, m := range mem {
		total += len(m)
	}
	if scanned != total || total == 0 {
		t.Errorf("scanned %d of %d reserved bytes", scanned, total)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := a.Alloc(8); !errors.Is(err, arena.ErrClosed) {
		t.Errorf("Alloc after Close: %v", err)
	}
	if err := a.Free(secrets[0]); !errors.Is(err, arena.ErrClosed) {
		t.Errorf("Free after Close: %v", err)
	}
	if err := a.Check(); !errors.Is(err, arena.ErrClosed) {
		t.Errorf("Check after Close: %v", err)
	}
	if err := a.Open(pkru.ReadOnly); !errors.Is(err, arena.ErrClosed) {
		t.Errorf("Open after Close: %v", err)
	}
	if st := a.Stats(); st.Regions != 0 || st.Reserved != 0 || st.Locked != 0 ||
		st.Objects != 0 || st.InUse != 0 || st.Pending != 0 || st.Allocs != 101 {
		t.Errorf("stats after Close: %+v, want nothing mapped or live, and the 101 Allocs", st)
	}
	if pkutest.ReadFault(mem[0]) == false {
		t.Error("arena memory still readable after Close")
	}
}

// Free leaves the wipe to a batch (no key switch, no system call), in both modes: the bytes wait,
// still protected, and are zero the next time a domain can see them, before the slot is reused,
// and once the pending bound is passed.
func TestFreeIsBatched(t *testing.T) {
	a := newArena(t)
	b := mustAlloc(t, a, 32)
	within(t, a, pkru.ReadWrite, func() { fill(b, 0xA5) })
	must(t, a.Free(b))
	if st := a.Stats(); st.Pending != 32 || st.Objects != 0 {
		t.Fatalf("after one free: pending %d bytes, %d objects; want 32, 0", st.Pending, st.Objects)
	}
	within(t, a, pkru.ReadOnly, func() { // entering wipes first
		if !allZero(b) {
			t.Errorf("freed bytes readable inside the next opening: % x", b)
		}
	})
	if st := a.Stats(); st.Pending != 0 || st.Flushes == 0 {
		t.Errorf("after the opening: pending %d, flushes %d", st.Pending, st.Flushes)
	}

	// Reuse: a freed slot comes back only wiped, never with the last owner's bytes.
	var live [][]byte
	for i := 0; i < 300; i++ {
		c := mustAlloc(t, a, 32)
		within(t, a, pkru.ReadWrite, func() {
			if !allZero(c) {
				t.Fatalf("allocation %d handed out unwiped bytes: % x", i, c)
			}
			fill(c, byte(i))
		})
		if i%3 == 0 {
			live = append(live, c)
		} else {
			must(t, a.Free(c))
		}
	}

	// The bound: pending bytes per shard stay under it without any opening.
	a.SetPendingMax(1024)
	for _, c := range live {
		must(t, a.Free(c))
	}
	for i := 0; i < 200; i++ {
		must(t, a.Free(mustAlloc(t, a, 32)))
	}
	// The bound is per shard: a goroutine whose stack moved may have used a second one.
	if most := a.MostPendingInAShard(); most > 1024+32 {
		t.Errorf("a shard holds %d pending bytes, bound 1024 (all shards: %d)",
			most, a.Stats().Pending)
	}
}

// Alloc and Free put nothing on the Go heap once the arena has its slabs (the benchmarks' 0
// allocs/op, held as a test): a secret store that fed the garbage collector would lose most of
// its point. Both modes, both paths of a batch wipe.
func TestAllocFreeStayOffTheHeap(t *testing.T) {
	for _, size := range []int{1, 32, 2048} {
		a := newArena(t)
		for i := 0; i < 5000; i++ { // warm up: slabs, ready lists and pending lists at full size
			must(t, a.Free(mustAlloc(t, a, size)))
		}
		allocs := testing.AllocsPerRun(5000, func() {
			b, err := a.Alloc(size)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Free(b); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s mode, %d bytes: %v heap allocations per Alloc+Free, want 0",
				a.Mode(), size, allocs)
		}
	}
}
