package secrets

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/gid"
)

// ErrDestroyed is returned by Use and UseReadOnly of a Secret that was destroyed (or is being
// destroyed), and of the zero Secret.
var ErrDestroyed = errors.New("secrets: secret destroyed")

// Secret is a handle to bytes kept in arena memory. Copies of a Secret are the same secret, and
// it is safe for concurrent use. The bytes are reachable only inside Use and UseReadOnly;
// printing, logging and marshalling a Secret give a redaction and never read them. The zero
// Secret is a destroyed one.
type Secret struct {
	h *handle
}

// handle is the state every copy of a Secret shares; its cleanup frees the slot of a Secret
// that was never destroyed.
type handle struct {
	st *Store // keeps the arena reachable for as long as the Secret is

	mu sync.Mutex
	// The arena slot, nil once destroyed. Not a []byte: fmt prints a handle's fields when a
	// bad verb meets an unexported Secret field (%s of a struct holding one), and would read
	// a slice's bytes; a pointer it prints as an address.
	ptr     unsafe.Pointer
	len     int
	users   int             // Uses in progress
	by      map[uintptr]int // of them, per goroutine (internal/gid), for Destroy's check
	dying   bool            // Destroy has begun: no new Use
	idle    chan struct{}   // closed by the last Use to end once dying
	gone    chan struct{}   // closed when Destroy has finished
	cleanup runtime.Cleanup
}

// slot is what the cleanup of an unreachable handle frees; it must not reach the handle.
type slot struct {
	a   *arena.Arena
	buf []byte
}

func newSecret(st *Store, buf []byte) Secret {
	h := &handle{st: st, ptr: unsafe.Pointer(unsafe.SliceData(buf)), len: len(buf)}
	h.cleanup = runtime.AddCleanup(h, freeSlot, slot{st.arena, buf})
	return Secret{h}
}

// freeSlot frees a slot without entering a domain: the arena wipes it before it is reused and
// before any later domain visit, and the cleanup goroutine never waits for a key.
func freeSlot(s slot) {
	s.a.Free(s.buf) // after the arena's Close there is nothing to free
	if hook := cleanupHook.Load(); hook != nil {
		(*hook)(s.a)
	}
}

// cleanupHook, set by tests only, runs at the end of each cleanup, with the slot's arena.
var cleanupHook atomic.Pointer[func(*arena.Arena)]

// Len returns the secret's length in bytes, or 0 once destroyed.
func (s Secret) Len() int {
	if s.h == nil {
		return 0
	}
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	if s.h.ptr == nil {
		return 0
	}
	return s.h.len
}

// Use runs fn with the secret's bytes, readable and writable, inside the Store's read-write
// domain and, where the build has it, with runtime/secret's erasure of fn's temporaries
// (domain.DoSecret, whose contract applies). It returns fn's error, ErrDestroyed, an error
// wrapping arena.ErrClosed when the Store's arena was closed, or one wrapping
// arena.ErrKeysPinned when no protection key frees up within arena.KeyWait.
//
// The slice is valid only until fn returns: afterwards it faults (in Mprotect mode, while no
// other Use of the Store runs), and after Destroy it is another secret's memory. Inside fn
// every Secret of the same Store is reachable, since they share an arena. Those of other
// Stores are not, in PKU mode, and inside a nested Use of one of them the outer slice is
// denied in turn (a domain switches the thread to exactly its grants): Secrets used together
// belong in one Store. Use nests: a Use inside fn, of this Secret or another, works; of a
// Secret being destroyed it returns ErrDestroyed. Many Uses may run at once, on any
// goroutines. A nil fn is a programming error: Use panics with "secrets: Use of a nil
// function".
func (s Secret) Use(fn func(b []byte) error) error { return s.use(fn, false) }

// UseReadOnly is Use with a read-only grant: a write to the bytes inside fn faults (a
// *guard.Violation under guard.Catch, else the program ends). In Mprotect mode the pages are
// writable while any read-write Use of the same Store runs at the same time, on any goroutine:
// there the grant is process-wide, and the widest one in use wins.
func (s Secret) UseReadOnly(fn func(b []byte) error) error { return s.use(fn, true) }

func (s Secret) use(fn func([]byte) error, readOnly bool) error {
	if fn == nil {
		panic("secrets: Use of a nil function")
	}
	h := s.h
	buf, g, err := h.acquire()
	if err != nil {
		return err
	}
	defer h.release(g)
	if h.st.arena.Closed() {
		return fmt.Errorf("secrets: %w", arena.ErrClosed)
	}
	d := h.st.rw
	if readOnly {
		d = h.st.ro
	}
	return inside(d, func() error { return fn(buf) })
}

// inside runs fn in d with DoSecret's erasure, waiting up to arena.KeyWait for a key: where
// DoSecret would panic (no key, an arena closed), it returns the error instead.
func inside(d *domain.Domain, fn func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), arena.KeyWait)
	defer cancel()
	return d.DoSecretContext(ctx, fn)
}

// acquire counts a Use in and returns the slot, or ErrDestroyed.
func (h *handle) acquire() (buf []byte, g uintptr, err error) {
	if h == nil {
		return nil, 0, ErrDestroyed
	}
	g = gid.Current()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dying {
		return nil, 0, ErrDestroyed
	}
	h.users++
	if g != 0 {
		if h.by == nil {
			h.by = map[uintptr]int{}
		}
		h.by[g]++
	}
	return unsafe.Slice((*byte)(h.ptr), h.len), g, nil
}

// release counts a Use out and lets a waiting Destroy go on after the last one.
func (h *handle) release(g uintptr) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.users--
	if g != 0 {
		if h.by[g]--; h.by[g] == 0 {
			delete(h.by, g)
		}
	}
	if h.users == 0 && h.idle != nil {
		close(h.idle)
		h.idle = nil
	}
}

// Destroy wipes the secret's bytes and frees them. It waits for Uses in progress to return;
// Uses that begin once it has begun return ErrDestroyed. Destroying again, or concurrently,
// waits for the first Destroy and returns nil; so does Destroy of the zero Secret. After the
// Store's arena was closed there is nothing to wipe (Close did), and Destroy returns nil.
//
// Destroy inside fn of a Use of the same Secret is a programming error (it would wait for
// itself): it panics with "secrets: Destroy inside a Use of the same Secret" where goroutines
// can be told apart (amd64, arm64, ppc64le), and deadlocks elsewhere, as does a Use whose fn
// waits for a Destroy of the same Secret on another goroutine.
func (s Secret) Destroy() error {
	h := s.h
	if h == nil {
		return nil
	}
	g := gid.Current()
	h.mu.Lock()
	if g != 0 && h.by[g] > 0 {
		h.mu.Unlock()
		panic("secrets: Destroy inside a Use of the same Secret")
	}
	if h.gone != nil {
		gone := h.gone
		h.mu.Unlock()
		<-gone
		return nil
	}
	h.dying = true
	h.gone = make(chan struct{})
	defer close(h.gone)
	if h.users > 0 {
		idle := make(chan struct{})
		h.idle = idle
		h.mu.Unlock()
		<-idle
		h.mu.Lock()
	}
	buf := unsafe.Slice((*byte)(h.ptr), h.len)
	h.ptr = nil
	h.mu.Unlock()
	h.cleanup.Stop()
	return h.st.discard(buf)
}
