package domain_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// A PKU-mode domain over more arenas than there are keys could never be entered: New refuses it.
// One arena fewer is accepted and can be entered; Mprotect mode has no such bound.
func TestTooManyArenas(t *testing.T) {
	most := pkru.AllocatableKeys
	for _, n := range []int{most, most + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var grants []domain.Grant
			for i := range n {
				grants = append(grants, domain.ReadWrite(newArena(t, fmt.Sprint("a", i))))
			}
			d, err := domain.New(grants...)
			mode := grants[0].Arena.Mode()
			if mode == arena.PKU && n > most {
				if !errors.Is(err, domain.ErrTooManyArenas) {
					t.Fatalf("New over %d arenas: %v, want ErrTooManyArenas", n, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New over %d arenas (%v): %v", n, mode, err)
			}
			if mode == arena.PKU && pkutest.InVM() && n == most {
				// Other code may hold keys on a host; the guest's kernel has all of them.
				tok, err := d.TryEnter()
				if err != nil {
					t.Fatalf("TryEnter of a domain over %d arenas: %v", n, err)
				}
				tok.Exit()
				return
			}
			if mode == arena.Mprotect {
				b := arenatest.MustAlloc(t, grants[n-1].Arena, 8)
				if err := d.Do(func() error { b[0] = 1; return nil }); err != nil || !written(d, b) {
					t.Fatalf("Do over %d arenas: %v", n, err)
				}
			}
		})
	}
}

// written reports whether b[0] reads 1 inside d.
func written(d *domain.Domain, b []byte) (ok bool) {
	d.Do(func() error { ok = b[0] == 1; return nil })
	return ok
}
