package arena_test

import (
	"errors"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// Without protection keys there is nothing to pin.
func TestPinKeyMprotectMode(t *testing.T) {
	a := newArena(t)
	if a.Mode() != arena.Mprotect {
		t.Skip("PKU mode: see TestParkedArena")
	}
	if _, err := a.PinKey(true); !errors.Is(err, pkru.ErrNotSupported) {
		t.Errorf("PinKey in Mprotect mode: %v, want pkru.ErrNotSupported", err)
	}
	a.UnpinKey() // harmless
	if st := arena.Keys(); st != (arena.KeyStats{}) {
		t.Errorf("key statistics without keys: %+v", st)
	}
}
