// Package seam is the one door between package arena and package domain: the mechanism that
// opens an arena's pages for a thread (pins and counted opens) lives in arena, so that arena's own
// wiping and domain's Enter share it, and only domain may reach it. Exported from arena, it
// would let any caller unpin a key a domain still uses or release pages another goroutine is
// reading. Package arena fills the variables at init; nothing else sets them.
package seam

import (
	"time"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// Arena is an arena's plumbing, as package domain uses it.
type Arena interface {
	// PinKey returns the arena's hardware key and keeps it bound until UnpinKey (PKU mode),
	// binding one first; while every key is pinned it waits up to wait, or until done (nil:
	// never) is closed.
	PinKey(wait time.Duration, done <-chan struct{}) (pkru.Key, error)
	UnpinKey()
	// FixedKey returns the key of an arena with a dedicated key.
	FixedKey() (pkru.Key, bool)
	// Open and Release count a domain in and out (Mprotect mode: the pages' protection follows
	// the union of the current opens; PKU mode: pending frees are wiped).
	Open(acc pkru.Access) error
	Release(acc pkru.Access)
	// ReadyToEnter reports that the arena is open for business and no free waits to be wiped.
	ReadyToEnter() bool
}

var (
	// Of returns the plumbing of an *arena.Arena.
	Of func(arena any) Arena
	// LibraryKeys returns the register bits of every key the library holds (mask) and the value
	// of those bits that denies them all (deny).
	LibraryKeys func() (mask, deny pkru.Rights)
	// Taint reports the keys whose register bits, in bits, changed inside a domain while they
	// stopped being the library's: the library never binds them again.
	Taint func(bits pkru.Rights)
)
