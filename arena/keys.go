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
	bits  atomic.Pointer[keyBits] // replaced whole on every change
}

// keyBits are the register bits of the library's keys (mask) and their values that deny them.
// (Rights are 64 bits wide on POWER, so the pair does not fit one atomic word.)
type keyBits struct{ mask, deny pkru.Rights }

func registerKey(k pkru.Key, delta int) {
	library.mu.Lock()
	defer library.mu.Unlock()
	library.count[k] += delta
	var b keyBits
	for key, n := range library.count {
		if n > 0 {
			b.mask |= pkru.Mask(pkru.Key(key))
			b.deny |= pkru.AllowAll.With(pkru.Key(key), pkru.NoAccess)
		}
	}
	library.bits.Store(&b)
}

// libraryKeys returns the register bits of every protection key held by an open arena (mask)
// and the value of those bits that denies all of them (deny). One atomic load; for package
// domain.
func libraryKeys() (mask, deny pkru.Rights) {
	if b := library.bits.Load(); b != nil {
		return b.mask, b.deny
	}
	return 0, 0
}

// Closed reports whether Close has run. Package domain checks it on Enter, so that a domain never
// opens a key that its closed arena gave back (and that another arena may hold now).
func (a *Arena) Closed() bool { return a.closed.Load() }

// readyToEnter reports that the arena is not closed and no Free waits to be wiped. Package domain
// checks it on Enter for arenas with a dedicated key and calls open when it is false,
// so that code inside a domain never reads a freed object's bytes.
func (a *Arena) readyToEnter() bool { return !a.dirty.Load() && !a.closed.Load() }
