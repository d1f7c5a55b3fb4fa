package arena_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// parkAll binds keys to enough fresh arenas that every arena created before is parked.
func parkAll(t *testing.T) {
	t.Helper()
	// Twice round the CLOCK, plus one: wherever the hand stands, every arena not pinned has had
	// its second chance and lost its key.
	for i := 0; i < 2*pkru.NumKeys+1; i++ {
		a := newArena(t, arena.Name(fmt.Sprintf("filler%d", i)))
		mustAlloc(t, a, 16) // binds a key, evicting the least recently used
	}
}

// An arena that lost its key (parked) keeps its objects: its pages are PROT_NONE under key 0 for
// every thread, and Alloc, Free, Check, reads inside and Close all work, binding a key again.
func TestParkedArena(t *testing.T) {
	pkutest.RequirePKU(t)
	a := newArena(t, arena.Name("parked"))
	b := mustAlloc(t, a, 64)
	within(t, a, pkru.ReadWrite, func() { fill(b, 3) })
	parkAll(t)
	if k, ok := a.Key(); ok {
		t.Fatalf("the arena still holds key %d after %d others took keys", k, pkru.NumKeys)
	}
	if st := a.Stats(); st.KeyEvictions == 0 || st.Key != -1 {
		t.Errorf("stats of a parked arena: %+v", st)
	}
	mem, _ := a.RegionBounds()
	for _, m := range readSmaps(t) {
		if m.start == addr(mem[0]) {
			if m.perms != "---p" || m.fields["ProtectionKey"] != "0" {
				t.Errorf("parked region: perms %s, ProtectionKey %s; want ---p under key 0",
					m.perms, m.fields["ProtectionKey"])
			}
		}
	}
	if !pkutest.ReadFault(b) {
		t.Fatal("a parked arena's memory is readable")
	}

	// Free needs no key (the wipe waits); the batched wipe binds one again.
	c := mustAlloc(t, a, 64)
	parkAll(t)
	if err := a.Free(c); err != nil {
		t.Fatalf("Free in a parked arena: %v", err)
	}
	if k, ok := a.Key(); ok {
		t.Fatalf("Free bound key %d: it should leave the wipe to the batch", k)
	}
	if err := a.Check(); err != nil { // wipes the pending free
		t.Fatal(err)
	}
	k, ok := a.Key()
	if !ok {
		t.Fatal("the wipe of a pending free did not bind a key")
	}
	if st := a.Stats(); st.Pending != 0 {
		t.Errorf("%d bytes still pending after Check", st.Pending)
	}
	mem, _ = a.RegionBounds()
	for _, m := range readSmaps(t) {
		if m.start == addr(mem[0]) && m.fields["ProtectionKey"] != strconv.Itoa(int(k)) {
			t.Errorf("re-bound region: ProtectionKey %s, want %d", m.fields["ProtectionKey"], k)
		}
	}
	parkAll(t)
	if err := a.Check(); err != nil {
		t.Errorf("Check of a parked arena: %v", err)
	}
	parkAll(t)
	ok = false
	within(t, a, pkru.ReadOnly, func() { ok = holds(b, 3) })
	if !ok {
		t.Error("the object changed while its arena was parked and re-bound")
	}
	parkAll(t)
	var wiped []bool
	defer arena.SetBeforeUnmap(func(mem []byte) { wiped = append(wiped, allZero(mem)) })()
	if err := a.Close(); err != nil {
		t.Fatalf("Close of a parked arena: %v", err)
	}
	if len(wiped) == 0 || !wiped[0] {
		t.Errorf("Close of a parked arena wiped: %v", wiped)
	}
}

// Pins nest and count: an arena with a pin keeps its key through any number of evictions, and
// Close is refused until the last pin is given back; pins refused after Close are not hits.
func TestPinHoldsKey(t *testing.T) {
	pkutest.RequirePKU(t)
	a := newArena(t, arena.Name("pinned"))
	k1, err := a.PinKey(false)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := a.PinKey(false)
	if err != nil || k2 != k1 {
		t.Fatalf("second pin: %d, %v; want %d", k2, err, k1)
	}
	parkAll(t)
	a.UnpinKey()
	parkAll(t)
	if k, ok := a.Key(); !ok || k != k1 {
		t.Fatalf("a pinned arena's key is now %d (bound %v), was %d", k, ok, k1)
	}
	if err := a.Close(); !errors.Is(err, arena.ErrBusy) {
		t.Fatalf("Close while pinned: %v, want ErrBusy", err)
	}
	a.UnpinKey()
	if err := a.Close(); err != nil {
		t.Fatalf("Close after the last unpin: %v", err)
	}
	hits := a.Stats().KeyHits
	for range 3 {
		if _, err := a.PinKey(false); !errors.Is(err, arena.ErrClosed) {
			t.Errorf("PinKey after Close: %v, want ErrClosed", err)
		}
	}
	if now := a.Stats().KeyHits; now != hits {
		t.Errorf("KeyHits went from %d to %d over pins refused with ErrClosed", hits, now)
	}
}

// A dedicated key is taken from the kernel, or from an unpinned virtual arena, and then never
// given away; with every key dedicated, NewArena(DedicatedKey()) fails with pkru.ErrNoKeys and
// virtual arenas cannot be created either.
func TestDedicatedKeys(t *testing.T) {
	pkutest.RequirePKU(t)
	virtual := newArena(t, arena.Name("virtual"))
	b := mustAlloc(t, virtual, 32)
	var dedicated []*arena.Arena
	var err error
	for {
		var a *arena.Arena
		a, err = arena.NewArena(arena.Name(fmt.Sprintf("dedicated%d",
			len(dedicated))), arena.DedicatedKey())
		if err != nil {
			break
		}
		dedicated = append(dedicated, a)
		mustAlloc(t, a, 16)
	}
	defer func() {
		for _, a := range dedicated {
			if err := a.Close(); err != nil {
				t.Error(err)
			}
		}
	}()
	if !errors.Is(err, pkru.ErrNoKeys) || len(dedicated) == 0 {
		t.Fatalf("after %d dedicated keys: %v; want pkru.ErrNoKeys", len(dedicated), err)
	}
	if _, ok := virtual.Key(); ok {
		t.Error("the virtual arena kept a key while dedicated ones took them all")
	}
	for i, a := range dedicated {
		k, ok := a.FixedKey()
		if !ok {
			t.Fatalf("dedicated arena %d has no fixed key", i)
		}
		if got, err := a.PinKey(false); err != nil || got != k {
			t.Errorf("PinKey of dedicated arena %d: %d, %v; want %d", i, got, err, k)
		}
		a.UnpinKey()
	}
	if _, err := virtual.PinKey(false); !errors.Is(err, pkru.ErrNoKeys) {
		t.Errorf("binding a virtual arena with every key dedicated: %v, want pkru.ErrNoKeys", err)
	}
	if err := virtual.Free(b); err != nil { // the wipe waits for a key
		t.Errorf("Free with no key to be had: %v", err)
	}
	if err := virtual.Check(); !errors.Is(err, pkru.ErrNoKeys) {
		t.Errorf("Check (it wipes) with no key to be had: %v, want pkru.ErrNoKeys", err)
	}
	if st := virtual.Stats(); st.Pending == 0 {
		t.Error("the free is no longer pending, yet no key could wipe it")
	}
	if _, err := arena.NewArena(); !errors.Is(err, pkru.ErrNoKeys) {
		t.Errorf("NewArena with every key dedicated: %v, want pkru.ErrNoKeys", err)
	}
	last := dedicated[len(dedicated)-1]
	dedicated = dedicated[:len(dedicated)-1]
	if err := last.Close(); err != nil {
		t.Fatal(err)
	}
	if err := virtual.Check(); err != nil {
		t.Errorf("Check once a key was given back: %v", err)
	}
	if st := virtual.Stats(); st.Pending != 0 {
		t.Errorf("%d bytes still pending after Check", st.Pending)
	}
}
