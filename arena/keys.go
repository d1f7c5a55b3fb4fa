package arena

import (
	"sync"
	"sync/atomic"
	"time"

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

// KeyStats describes the protection keys of the whole library at one moment.
type KeyStats struct {
	Keys        int           // hardware keys held by arenas now
	Misses      int64         // pins that found their arena without a key and bound one
	Evictions   int64         // keys taken from an unpinned arena: on a miss, or for a DedicatedKey
	Retags      int64         // regions re-tagged by binding and eviction (pkey_mprotect calls)
	RetagTime   time.Duration // time spent re-tagging
	Quarantined int           // keys held and never used: a thread may grant them (domain.Token.Exit)
}

// Keys returns the library's key statistics (PKU mode; zero otherwise). Hits are counted per
// arena (Stats.KeyHits).
func Keys() KeyStats {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	st := KeyStats{Misses: pool.misses, Evictions: pool.evictions, Retags: pool.retags,
		RetagTime: pool.retagTime, Quarantined: pool.quarantined}
	for _, v := range pool.bound {
		if v != nil {
			st.Keys++
		}
	}
	return st
}
