package arena

import (
	"sync/atomic"

	"github.com/pkeyarena/pkeyarena/internal/seam"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// Keys a thread may still grant outside every domain. Exit restores the bits of the keys the
// library holds at Exit, and leaves every other key's bits as they are: a key whose arena closed
// while the domain was inside may be other code's by then. When the bits of such a key changed
// inside (code inside wrote the register, or the key's new owner granted it on this thread),
// package domain reports the key here (seam.Taint), and the library never binds it again: when
// the kernel hands it back, the library keeps it allocated, unused (quarantined), and asks for
// another. Otherwise the next arena tagged with it would be readable on that thread.

// tainted holds one bit per key reported; it is never cleared.
var tainted atomic.Uint32

func init() { seam.Taint = taint }

// taint records the keys whose register bits are in bits.
func taint(bits pkru.Rights) {
	var set uint32
	for k := pkru.Key(1); k < pkru.NumKeys; k++ {
		if bits&pkru.Mask(k) != 0 {
			set |= 1 << k
		}
	}
	tainted.Or(set)
}

// quarantined reports whether the library must not bind k, just allocated from the kernel and
// registered; if so it keeps k out of the library's keys and allocated for good (pool.mu held).
// Registering first and checking after pairs with domain's report-then-reload (see Exit): either
// the Exit sees k as the library's again and checks its bits, or the library sees the report.
func quarantined(k pkru.Key) bool {
	if tainted.Load()&(1<<k) == 0 {
		return false
	}
	registerKey(k, -1)
	pool.quarantined++
	return true
}
