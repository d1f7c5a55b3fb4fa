package arena_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
)

// Bad input gets a documented error, and a programming error a panic that says what is wrong.
func TestBadInput(t *testing.T) {
	a := newArena(t)
	for _, tc := range []struct {
		name string
		call func() error
		want error
	}{
		{"Alloc(0)", func() error { _, err := a.Alloc(0); return err }, arena.ErrInvalidSize},
		{"Alloc(-1)", func() error { _, err := a.Alloc(-1); return err }, arena.ErrInvalidSize},
		{"Alloc(MaxAlloc+1)", func() error { _, err := a.Alloc(arena.MaxAlloc + 1); return err }, arena.ErrInvalidSize},
		{"Free(nil)", func() error { return a.Free(nil) }, arena.ErrNotAllocated},
		{"Free(heap)", func() error { return a.Free(make([]byte, 8)) }, arena.ErrNotAllocated},
		{"FreeValue(nil)", func() error { return arena.FreeValue[int64](a, nil) }, arena.ErrNotAllocated},
		{"FreeSlice(nil)", func() error { return arena.FreeSlice[int64](a, nil) }, arena.ErrNotAllocated},
		{"MakeSlice(-1, 0)", func() error { _, err := arena.MakeSlice[int64](a, -1, 0); return err }, arena.ErrInvalidSize},
		{"MakeSlice(5, 2)", func() error { _, err := arena.MakeSlice[int64](a, 5, 2); return err }, arena.ErrInvalidSize},
		{"MakeSlice(huge)", func() error { _, err := arena.MakeSlice[int64](a, math.MaxInt/4, math.MaxInt/4); return err }, arena.ErrInvalidSize},
		{"New[struct{}]", func() error { _, err := arena.New[struct{}](a); return err }, arena.ErrInvalidSize},
		{"New[*int]", func() error { _, err := arena.New[*int](a); return err }, arena.ErrPointers},
		{"Name(\"\")", func() error { _, err := arena.NewArena(arena.Name("")); return err }, arena.ErrInvalidOption},
		{"Limit(-1)", func() error { _, err := arena.NewArena(arena.Limit(-1)); return err }, arena.ErrInvalidOption},
		{"WithBacking(9)", func() error { _, err := arena.NewArena(arena.WithBacking(9)); return err }, arena.ErrInvalidOption},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, tc.want) {
				t.Errorf("%v, want %v", err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		call func(*arena.Arena)
	}{
		{"Alloc", func(z *arena.Arena) { z.Alloc(1) }},
		{"Free", func(z *arena.Arena) { z.Free(make([]byte, 1)) }},
		{"Check", func(z *arena.Arena) { z.Check() }},
		{"Close", func(z *arena.Arena) { z.Close() }},
		{"Stats", func(z *arena.Arena) { z.Stats() }},
		{"Key", func(z *arena.Arena) { z.Key() }},
		{"New", func(z *arena.Arena) { arena.New[int64](z) }},
		{"MakeSlice", func(z *arena.Arena) { arena.MakeSlice[int64](z, 1, 1) }},
		{"FreeValue", func(z *arena.Arena) { arena.FreeValue[int64](z, nil) }},
		{"FreeSlice", func(z *arena.Arena) { arena.FreeSlice[int64](z, nil) }},
	} {
		for _, z := range []struct {
			name string
			a    *arena.Arena
		}{{"zero Arena ", new(arena.Arena)}, {"nil *Arena ", nil}} {
			t.Run(z.name+tc.name, func(t *testing.T) {
				defer func() {
					if r := recover(); !strings.Contains(fmt.Sprint(r), "Arena used without NewArena") {
						t.Errorf("panic %v, want one naming NewArena", r)
					}
				}()
				tc.call(z.a)
			})
		}
	}
	if m := (*arena.Arena)(nil).Mode(); m != 0 {
		t.Errorf("Mode of a nil *Arena = %v, want 0 (not made)", m)
	}
}
