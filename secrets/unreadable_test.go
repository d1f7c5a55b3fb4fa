package secrets_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
)

// pinEveryKey enters domains over fresh arenas on goroutines that stay inside until the test
// ends, until no protection key is left to bind: a Store's arena then has none, and cannot get
// one within arena.KeyWait.
func pinEveryKey(t *testing.T) {
	t.Helper()
	leave := make(chan struct{})
	var left []chan struct{}
	var arenas []*arena.Arena
	t.Cleanup(func() {
		close(leave)
		for _, c := range left {
			<-c
		}
		for _, a := range arenas {
			if err := a.Close(); err != nil {
				t.Errorf("Close once every domain was left: %v", err)
			}
		}
	})
	for i := 0; ; i++ {
		if i > 64 {
			t.Fatal("64 domains inside at once and still a key to bind")
		}
		a, err := arena.NewArena(arena.Name("pinned"))
		if err != nil {
			t.Fatal(err)
		}
		arenas = append(arenas, a)
		d, err := domain.New(domain.ReadWrite(a))
		if err != nil {
			t.Fatal(err)
		}
		entered, done := make(chan error), make(chan struct{})
		go func() {
			defer close(done)
			tok, err := d.TryEnter()
			entered <- err
			if err == nil {
				<-leave
				tok.Exit()
			}
		}()
		if err := <-entered; errors.Is(err, arena.ErrKeysPinned) {
			<-done
			return
		} else if err != nil {
			t.Fatal(err)
		}
		left = append(left, done)
	}
}

// When a Secret's bytes cannot be read, because no protection key frees up within KeyWait or
// the Store's arena was closed, the comparisons fail closed (false) and the constructors return
// an error, leaving their input as it was; none of them panics.
func TestUnreadableFailsClosed(t *testing.T) {
	for _, why := range []string{"every key pinned", "arena closed"} {
		t.Run(why, func(t *testing.T) {
			st, a := newStore(t)
			s, o := mustFromBytes(t, st, "tokentoken"), mustFromBytes(t, st, "tokentoken")
			want := arena.ErrClosed
			if why == "every key pinned" {
				pkutest.RequirePKU(t)
				pinEveryKey(t)
				want = arena.ErrKeysPinned
			} else if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			noPanic := func(what string, fn func()) {
				t.Helper()
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s panicked: %v", what, r)
					}
				}()
				fn()
			}
			noPanic("Equal", func() {
				if s.Equal(o) {
					t.Error("Equal of unreadable Secrets reports true")
				}
			})
			noPanic("EqualBytes", func() {
				if s.EqualBytes([]byte("tokentoken")) {
					t.Error("EqualBytes of an unreadable Secret reports true")
				}
			})
			noPanic("FromBytes", func() {
				b := []byte("a new secret")
				if _, err := st.FromBytes(b); !errors.Is(err, want) {
					t.Errorf("FromBytes: %v, want %v", err, want)
				}
				if string(b) != "a new secret" {
					t.Errorf("FromBytes changed its input on error: %q", b)
				}
			})
			noPanic("FromReader", func() {
				if _, err := st.FromReader(strings.NewReader("abc"), 3); !errors.Is(err, want) {
					t.Errorf("FromReader: %v, want %v", err, want)
				}
			})
			noPanic("Random", func() {
				if _, err := st.Random(16); !errors.Is(err, want) {
					t.Errorf("Random: %v, want %v", err, want)
				}
			})
			if err := s.Use(func([]byte) error { return nil }); !errors.Is(err, want) {
				t.Errorf("Use: %v, want %v", err, want)
			}
		})
	}
}
