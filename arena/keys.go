package arena

import (
	"sync"
	"sync/atomic"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// The hardware protection keys the library holds (bound to arenas, vkey.go), for package domain:
// entering a domain denies every one of them that the domain does not grant, and leaves the
// register bits of keys owned by other code alone.
var library struct {
	mu    sync.Mutex
	count [pkru.NumKeys]int
	bits  atomic.Uint64 // low 32 bits: mask of the keys' register bits; high 32: their deny bits
}

func registerKey(k pkru.Key, delta int) {
	library.mu.Lock()
	defer library.mu.Unlock()
	library.count[k] += delta
	var mask, deny pkru.Rights
	for key, n := range library.count {
		if n > 0 {
			mask |= pkru.Mask(pkru.Key(key))
			deny |= pkru.AllowAll.With(pkru.Key(key), pkru.NoAccess)
		}
	}
	library.bits.Store(uint64(mask) | uint64(deny)<<32)
}

// LibraryKeys returns the register bits of every protection key held by an open arena (mask)
// and the value of those bits that denies all of them (deny). One atomic load; for package
// domain.
func LibraryKeys() (mask, deny pkru.Rights) {
	v := library.bits.Load()
	return pkru.Rights(v), pkru.Rights(v >> 32)
}

// Closed reports whether Close has run. Package domain checks it on Enter, so that a domain never
// opens a key that its closed arena gave back (and that another arena may hold now).
func (a *Arena) Closed() bool { return a.closed.Load() }

// Settled reports that the arena is not closed and no Free waits to be wiped. Package domain
// checks it on Enter for arenas with a dedicated key (it inlines) and calls Open when it is false,
// so that code inside a domain never reads a freed object's bytes.
func (a *Arena) Settled() bool { return !a.dirty.Load() && !a.closed.Load() }
