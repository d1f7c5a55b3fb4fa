package secrets_test

import (
	"bytes"
	"testing"

	"go.uber.org/goleak"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
	"github.com/pkeyarena/pkeyarena/secrets"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newStore returns a Store over an arena of its own, closed when the test ends, so that tests
// can count its objects.
func newStore(tb testing.TB) (*secrets.Store, *arena.Arena) {
	tb.Helper()
	a := arenatest.NewArena(tb, arena.Name(tb.Name()))
	st, err := secrets.NewStore(a)
	if err != nil {
		tb.Fatal(err)
	}
	return st, a
}

// mustFromBytes makes a Secret of st holding a copy of v.
func mustFromBytes(tb testing.TB, st *secrets.Store, v string) secrets.Secret {
	tb.Helper()
	s, err := st.FromBytes([]byte(v))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// contents returns a heap copy of s's bytes, read inside UseReadOnly.
func contents(tb testing.TB, s secrets.Secret) string {
	tb.Helper()
	var v string
	if err := s.UseReadOnly(func(b []byte) error { v = string(b); return nil }); err != nil {
		tb.Fatalf("UseReadOnly: %v", err)
	}
	return v
}

// holdSlice returns the slice Use hands to fn, kept past Use as only a misbehaving caller would,
// so that tests can probe the slot it names.
func holdSlice(tb testing.TB, s secrets.Secret) []byte {
	tb.Helper()
	var held []byte
	if err := s.Use(func(b []byte) error { held = b; return nil }); err != nil {
		tb.Fatalf("Use: %v", err)
	}
	return held
}

func isZero(b []byte) bool { return bytes.Count(b, []byte{0}) == len(b) }

func objects(a *arena.Arena) int64 { return a.Stats().Objects }
