//go:build pkeyarena_softreg

package arena_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// A benchmark build cannot be mistaken for protection: its mode says so, and RequirePKU refuses.
func TestSoftregSaysUnprotected(t *testing.T) {
	a := newArena(t)
	if got := a.Mode().String(); !strings.Contains(got, "NOTHING IS PROTECTED") {
		t.Errorf("mode of a softreg build: %q", got)
	}
	if _, err := arena.NewArena(arena.RequirePKU()); !errors.Is(err, pkru.ErrNotSupported) {
		t.Errorf("RequirePKU in a softreg build: %v, want pkru.ErrNotSupported", err)
	}
}
