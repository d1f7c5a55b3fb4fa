package keys

import (
	"context"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
)

// home is where a key lives: its arena, whether this package made it (and closes it), and the
// domain that grants it.
type home struct {
	arena *arena.Arena
	own   bool
	dom   *domain.Domain
}

// newHome returns the caller's arena (InArena) or a new one, with a domain that grants it.
func newHome(c config) (*home, error) {
	h := &home{arena: c.arena}
	if h.arena == nil {
		a, err := arena.NewArena(append([]arena.Option{arena.Name("keys")}, c.arenaOpts...)...)
		if err != nil {
			return nil, err
		}
		h.arena, h.own = a, true
	}
	d, err := domain.New(domain.ReadWrite(h.arena))
	if err != nil {
		h.release()
		return nil, err
	}
	h.dom = d
	return h, nil
}

// release closes the arena when this package made it (after a failure, or at Close).
func (h *home) release() error {
	if h.own {
		return h.arena.Close()
	}
	return nil
}

// do runs fn inside the key's domain with DoSecret (runtime/secret's erasure where the build
// has it) and does what it can where it has not: asynchronous signals are held back (see
// holdSignals), the first scrubStack grows the stack before any secret is on it, the second
// wipes what fn's callees left below this frame, and clearVectors zeroes the vector registers
// before the signals come.
func (h *home) do(fn func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), arena.KeyWait)
	defer cancel()
	return h.dom.DoSecretContext(ctx, func() error { // an error, not a panic, when it cannot enter
		held := holdSignals()
		defer releaseSignals(held)
		scrubStack()
		defer func() { // also when fn panics (a fault that a caller's guard.Catch recovers)
			scrubStack()
			clearVectors()
		}()
		return fn()
	})
}

// free wipes b (inside the domain) and gives it back to the arena.
func (h *home) free(b []byte) error {
	if b == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), arena.KeyWait)
	defer cancel()
	err := h.dom.DoContext(ctx, func() error {
		clear(b)
		return nil
	})
	if ferr := h.arena.Free(b); err == nil {
		err = ferr
	}
	return err
}

// discard wipes and frees an arena buffer from inside the domain (where free would nest).
func (h *home) discard(b []byte) {
	clear(b)
	h.arena.Free(b)
}
