package arena_test

import (
	"errors"
	"math"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/pkru"
)

type key32 struct {
	Bytes [32]byte
	Used  uint64
	Flags [2]bool
}

type withPointer struct {
	A int
	P *int
}

type nested struct {
	Inner [2]struct{ S string }
}

func TestNewAndFreeValue(t *testing.T) {
	a := newArena(t)
	k, err := arena.New[key32](a)
	if err != nil {
		t.Fatal(err)
	}
	within(t, a, pkru.ReadWrite, func() {
		if k.Used != 0 || k.Bytes != [32]byte{} {
			t.Error("New did not zero the value")
		}
		k.Bytes[31], k.Used = 7, 42
	})
	within(t, a, pkru.ReadOnly, func() {
		if k.Bytes[31] != 7 || k.Used != 42 {
			t.Error("value lost")
		}
	})
	if err := arena.FreeValue(a, k); err != nil {
		t.Fatal(err)
	}
	if err := arena.FreeValue(a, k); !errors.Is(err, arena.ErrNotAllocated) {
		t.Errorf("double FreeValue: %v", err)
	}
	if err := arena.FreeValue[key32](a, nil); !errors.Is(err, arena.ErrNotAllocated) {
		t.Errorf("FreeValue(nil): %v", err)
	}
}

func TestPointerTypesRejected(t *testing.T) {
	a := newArena(t)
	tests := []struct {
		name string
		new  func() error
		want error
	}{
		{"*int", func() error { _, err := arena.New[*int](a); return err }, arena.ErrPointers},
		{"string", func() error { _, err := arena.New[string](a); return err }, arena.ErrPointers},
		{"[]byte", func() error { _, err := arena.New[[]byte](a); return err }, arena.ErrPointers},
		{"map", func() error { _, err := arena.New[map[int]int](a); return err }, arena.ErrPointers},
		{"chan", func() error { _, err := arena.New[chan int](a); return err }, arena.ErrPointers},
		{"func", func() error { _, err := arena.New[func()](a); return err }, arena.ErrPointers},
		{"any", func() error { _, err := arena.New[any](a); return err }, arena.ErrPointers},
		{"struct with pointer", func() error { _, err := arena.New[withPointer](a); return err }, arena.ErrPointers},
		{"nested string", func() error { _, err := arena.New[nested](a); return err }, arena.ErrPointers},
		{"slice of strings", func() error { _, err := arena.MakeSlice[string](a, 1, 1); return err }, arena.ErrPointers},
		{"zero-size", func() error { _, err := arena.New[struct{}](a); return err }, arena.ErrInvalidSize},
		{"uintptr ok", func() error { _, err := arena.New[uintptr](a); return err }, nil},
		{"[0]*int ok", func() error {
			_, err := arena.New[struct {
				X [0]*int
				N int
			}](a)
			return err
		}, nil},
	}
	for _, tt := range tests {
		for pass := 0; pass < 2; pass++ { // the second pass answers from the cache
			if err := tt.new(); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("%s (pass %d): %v, want %v", tt.name, pass, err, tt.want)
			}
		}
	}
}

func TestMakeSlice(t *testing.T) {
	a := newArena(t)
	s, err := arena.MakeSlice[uint64](a, 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 3 || cap(s) != 10 {
		t.Fatalf("len %d cap %d", len(s), cap(s))
	}
	within(t, a, pkru.ReadWrite, func() {
		s = append(s, 1, 2, 3) // within capacity: stays in the arena
		s[0] = 99
	})
	if err := arena.FreeSlice(a, s[:0]); err != nil {
		t.Fatalf("FreeSlice of a re-sliced (same start, same cap) slice: %v", err)
	}
	for _, c := range [][2]int{{-1, 1}, {2, 1}, {0, 0}, {1, arena.MaxAlloc/8 + 1}, {1, math.MaxInt}} {
		if _, err := arena.MakeSlice[uint64](a, c[0], c[1]); !errors.Is(err, arena.ErrInvalidSize) {
			t.Errorf("MakeSlice(%d, %d): %v", c[0], c[1], err)
		}
	}
	if err := arena.FreeSlice[uint64](a, nil); !errors.Is(err, arena.ErrNotAllocated) {
		t.Errorf("FreeSlice(nil): %v", err)
	}
}
