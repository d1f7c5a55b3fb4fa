package secrets

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
)

// Store is where Secrets live: one arena, with a read-write and a read-only domain over it.
// Every Secret of a Store shares its arena (one protection key for all of them); code inside a
// Use of one of them can reach the others'. Use separate Stores for secrets that code touching
// one must not reach. A Store is safe for concurrent use.
type Store struct {
	arena  *arena.Arena
	rw, ro *domain.Domain
}

// NewStore makes a Store over a caller's arena, to choose its options (arena.WithBacking,
// arena.DedicatedKey, arena.Limit, arena.RequirePKU). Secrets keep the arena reachable; closing
// it while they are in use is a programming error, and after Close their Use returns an error
// wrapping arena.ErrClosed. A nil or closed arena gives an error wrapping
// domain.ErrInvalidGrant.
func NewStore(a *arena.Arena) (*Store, error) {
	if a == nil {
		return nil, fmt.Errorf("secrets: nil arena: %w", domain.ErrInvalidGrant)
	}
	rw, err := domain.New(domain.ReadWrite(a))
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	ro, err := domain.New(domain.ReadOnly(a))
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Store{arena: a, rw: rw, ro: ro}, nil
}

// The package-level constructors share one Store, made on first use over an arena named
// "secrets" with the default options; a failure to make it is returned and tried again next
// time.
var std struct {
	st atomic.Pointer[Store]
	mu sync.Mutex
}

func defaultStore() (*Store, error) {
	if st := std.st.Load(); st != nil {
		return st, nil
	}
	std.mu.Lock()
	defer std.mu.Unlock()
	if st := std.st.Load(); st != nil {
		return st, nil
	}
	a, err := arena.NewArena(arena.Name("secrets"))
	if err != nil {
		return nil, fmt.Errorf("secrets: default store: %w", err)
	}
	st, err := NewStore(a)
	if err != nil {
		a.Close()
		return nil, err
	}
	std.st.Store(st)
	return st, nil
}

// FromBytes moves b into a new Secret of the default Store: b is copied into arena memory and
// then wiped (zeroed). b must be ordinary memory; on error it is left as it was. An empty b
// gives an error wrapping arena.ErrInvalidSize.
func FromBytes(b []byte) (Secret, error) {
	st, err := defaultStore()
	if err != nil {
		return Secret{}, err
	}
	return st.FromBytes(b)
}

// FromReader reads exactly n bytes from r into a new Secret of the default Store. See
// Store.FromReader.
func FromReader(r io.Reader, n int) (Secret, error) {
	st, err := defaultStore()
	if err != nil {
		return Secret{}, err
	}
	return st.FromReader(r, n)
}

// Random makes a Secret of the default Store holding n bytes from crypto/rand. See
// Store.Random.
func Random(n int) (Secret, error) {
	st, err := defaultStore()
	if err != nil {
		return Secret{}, err
	}
	return st.Random(n)
}

// FromBytes moves b into a new Secret of st: b is copied into arena memory and then wiped
// (zeroed). b must be ordinary memory; on error it is left as it was. An empty b gives an error
// wrapping arena.ErrInvalidSize; like Use, FromBytes, FromReader and Random return one wrapping
// arena.ErrClosed after the arena's Close, or arena.ErrKeysPinned when no protection key frees up
// within arena.KeyWait, and never panic for either.
func (st *Store) FromBytes(b []byte) (Secret, error) {
	s, err := st.fill(len(b), func(dst []byte) error {
		copy(dst, b)
		return nil
	})
	if err == nil {
		clear(b)
	}
	return s, err
}

// FromReader reads exactly n bytes from r straight into a new Secret's arena memory, with no
// copy in between: r's Read runs inside the Store's read-write domain (so it can reach the
// Store's other Secrets too) and gets arena memory to fill. While Read runs the Store is entered,
// as in a Use: in PKU mode a protection key stays pinned, and in Mprotect mode every Secret of
// the Store is readable by every thread (package doc, Limitations). For a reader that can block
// (a network peer, a terminal), read into a buffer of your own and move it in with FromBytes,
// which enters only for the copy. A short read gives an error
// wrapping io.ErrUnexpectedEOF (io.EOF when r had nothing), and the bytes read are wiped. n
// below 1 gives an error wrapping arena.ErrInvalidSize.
func (st *Store) FromReader(r io.Reader, n int) (Secret, error) {
	return st.fill(n, func(dst []byte) error {
		_, err := io.ReadFull(r, dst)
		return err
	})
}

// Random makes a Secret of st holding n bytes from crypto/rand, generated straight into arena
// memory. n below 1 gives an error wrapping arena.ErrInvalidSize.
func (st *Store) Random(n int) (Secret, error) {
	return st.fill(n, func(dst []byte) error {
		rand.Read(dst) // never fails: crypto/rand ends the program instead
		return nil
	})
}

// fill allocates n bytes and runs put on them inside the read-write domain (with erasure where
// the build has it). On error, or a panic in put, the slot is wiped and freed.
func (st *Store) fill(n int, put func([]byte) error) (s Secret, err error) {
	if st.arena.Closed() {
		return Secret{}, fmt.Errorf("secrets: %w", arena.ErrClosed)
	}
	buf, err := st.arena.Alloc(n)
	if err != nil {
		return Secret{}, fmt.Errorf("secrets: %w", err)
	}
	buf = buf[:n:n]
	ok := false
	defer func() {
		if !ok {
			st.discard(buf)
		}
	}()
	if err := inside(st.rw, func() error { return put(buf) }); err != nil {
		return Secret{}, fmt.Errorf("secrets: %w", err)
	}
	ok = true
	return newSecret(st, buf), nil
}

// discard wipes buf inside the read-write domain and frees it. The wipe is a courtesy: when no
// key can be had at once, or the arena was closed meanwhile, buf is freed unwiped, and the arena
// wipes it before reuse and before any later look, as it wipes every freed object. So discard
// never waits for a key and never panics. After the arena's Close there is nothing left to free.
func (st *Store) discard(buf []byte) error {
	if tok, err := st.rw.TryEnter(); err == nil {
		clear(buf)
		tok.Exit()
	}
	if err := st.arena.Free(buf); err != nil && !errors.Is(err, arena.ErrClosed) {
		return fmt.Errorf("secrets: %w", err)
	}
	return nil
}
