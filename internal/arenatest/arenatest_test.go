package arenatest

import (
	"errors"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
)

func TestNewArenaAndMustAlloc(t *testing.T) {
	var a *arena.Arena
	t.Run("inner", func(t *testing.T) {
		a = NewArena(t, arena.Name("helper"))
		if b := MustAlloc(t, a, 24); len(b) != 24 || a.Name() != "helper" {
			t.Fatalf("got %d bytes from %q", len(b), a.Name())
		}
	})
	if _, err := a.Alloc(1); !errors.Is(err, arena.ErrClosed) {
		t.Errorf("the arena was not closed when its test ended: %v", err)
	}
	var rec pkutest.Recorder
	rec.Call(func(tb testing.TB) { MustAlloc(tb, a, 8) })
	if rec.FailMsg == "" {
		t.Error("MustAlloc on a closed arena did not fail the test")
	}
}
