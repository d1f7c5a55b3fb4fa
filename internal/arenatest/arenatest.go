// Package arenatest has test helpers over package arena, for arena's external tests and those of
// the packages above it (domain, guard, secrets, keys). It sits above arena, as internal/pkutest
// sits below it.
package arenatest

import (
	"errors"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
)

// NewArena creates an arena that is closed when the test ends.
func NewArena(tb testing.TB, opts ...arena.Option) *arena.Arena {
	tb.Helper()
	a, err := arena.NewArena(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := a.Close(); err != nil && !errors.Is(err, arena.ErrClosed) {
			tb.Errorf("Close: %v", err)
		}
	})
	return a
}

// MustAlloc allocates n bytes from a, failing the test unless it gets exactly n (length and
// capacity).
func MustAlloc(tb testing.TB, a *arena.Arena, n int) []byte {
	tb.Helper()
	b, err := a.Alloc(n)
	if err != nil {
		tb.Fatalf("Alloc(%d): %v", n, err)
	}
	if len(b) != n || cap(b) != n {
		tb.Fatalf("Alloc(%d) returned len %d cap %d", n, len(b), cap(b))
	}
	return b
}
