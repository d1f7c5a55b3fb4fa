//go:build aix && ppc64

package pkru

import (
	"fmt"
	"sync"

	"github.com/pkeyarena/pkeyarena/internal/unix"
)

// AIX user keys (AIX 5.3 TL6 and later, POWER6 and later hardware, 64-bit kernel) mapped onto this
// package's Linux concepts. UNTESTED: it compiles and vets in CI, but no AIX machine has run it.
//
//	Linux                          AIX
//	Supported: pkey_alloc probe    ukey_enable (once; it returns the number of user keys)
//	Alloc / Free                   a key from 1 .. n-1 that this package has not handed out
//	                               (AIX has no per-process allocator; other code that uses user
//	                               keys directly is not seen, just as on Linux without pkey_alloc)
//	Protect (pkey_mprotect)        mprotect, then ukey_protect
//	Write (WRPKRU, mtspr AMR)      ukeyset_init + ukeyset_add_key per granted key, then
//	                               ukeyset_activate(UKA_REPLACE_KEYS): the calling thread's set
//	Read                           ukeyset_activate(UKA_GET_KEYS), then ukeyset_ismember per key
//	key 0                          UKEY_PUBLIC, always read-write for every thread
//
// The user-key-set of a Rights value, and the Rights of a set, are cached: a Write or Read costs
// one ukeyset_activate once its value was seen. Multithreaded processes must run their threads in
// system scope (AIXTHREAD_SCOPE=S) for ukey_enable to succeed; when it fails, Supported reports
// ErrNotSupported and the layers above run in Mprotect mode.

var ukeys struct {
	n      int // user keys, from ukey_enable
	mu     sync.Mutex
	taken  [NumKeys]bool     // handed out by Alloc
	sets   map[Rights]uint64 // the user-key-set of each Rights value written
	rights map[uint64]Rights // and back
}

// minUserKeys is the fewest user keys that leave one to hand out: key 0 is UKEY_PUBLIC.
const minUserKeys = 2

// registerLayer is true where this package can drive the register (see platforms.go).
const registerLayer = true

// cpuPKU is true: the probe (ukey_enable) decides.
const cpuPKU = true

// hasRegister becomes true once ukey_enable succeeded: before that, ukeyset_activate would raise
// SIGILL, so Read and Write panic instead.
var hasRegister bool

func probe() error {
	n, err := ukeyEnable()
	if err != nil {
		return fmt.Errorf("%w: ukey_enable: %w (user keys need a 64-bit kernel, POWER6 or later "+
			"with storage keys enabled, and 1:1 threads: AIXTHREAD_SCOPE=S)", ErrNotSupported, err)
	}
	if n < minUserKeys {
		return fmt.Errorf("%w: ukey_enable reports %d user keys: no private key", ErrNotSupported, n)
	}
	ukeys.n = min(n, NumKeys)
	ukeys.sets = map[Rights]uint64{}
	ukeys.rights = map[uint64]Rights{}
	hasRegister = true
	return nil
}

// Alloc allocates a protection key: a private user key this package has not handed out. The
// calling thread gets access a to it (as pkey_alloc's init_val); every other thread keeps it
// denied. It returns an error wrapping ErrNoKeys when all are handed out, ErrNotSupported, or
// ErrInvalidAccess for an invalid a.
func Alloc(a Access) (Key, error) {
	if a > ReadWrite {
		return 0, fmt.Errorf("pkru.Alloc(%d): %w", a, ErrInvalidAccess)
	}
	if err := Supported(); err != nil {
		return 0, err
	}
	ukeys.mu.Lock()
	k := Key(0)
	for i := Key(1); i < Key(ukeys.n); i++ {
		if !ukeys.taken[i] {
			ukeys.taken[i], k = true, i
			break
		}
	}
	ukeys.mu.Unlock()
	if k == 0 {
		return 0, fmt.Errorf("ukey: all %d private user keys handed out: %w", ukeys.n-1, ErrNoKeys)
	}
	if a != NoAccess {
		Write(Read().With(k, a))
	}
	return k, nil
}

// Free gives k back. Every page tagged with k must be unmapped or retagged first.
func (k Key) Free() error {
	if Supported() != nil || k <= 0 || int(k) >= ukeys.n {
		return fmt.Errorf("ukey free(%d): %w", k, ErrInvalidKey)
	}
	ukeys.mu.Lock()
	defer ukeys.mu.Unlock()
	if !ukeys.taken[k] {
		return fmt.Errorf("ukey free(%d): not allocated: %w", k, ErrInvalidKey)
	}
	ukeys.taken[k] = false
	return nil
}

// Protect sets the protection of the pages of b to prot and tags them with key k (mprotect, then
// ukey_protect; key 0 is UKEY_PUBLIC).
func Protect(b []byte, prot int, k Key) error {
	if k < 0 || k >= NumKeys {
		return fmt.Errorf("ukey_protect: key %d: %w", k, ErrInvalidKey)
	}
	if err := Supported(); err != nil {
		return fmt.Errorf("ukey_protect: %w", err)
	}
	if err := unix.Mprotect(b, prot); err != nil {
		return fmt.Errorf("mprotect(%d bytes, %#x): %w", len(b), prot, err)
	}
	if err := ukeyProtect(b, k); err != nil {
		return fmt.Errorf("ukey_protect(%d bytes, key %d): %w", len(b), k, err)
	}
	return nil
}

func readRegister() Rights {
	set, err := ukeysetActivate(0, ukaGetKeys)
	if err != nil {
		panic(fmt.Sprintf("pkru.Read: ukeyset_activate(UKA_GET_KEYS): %v", err))
	}
	ukeys.mu.Lock()
	r, ok := ukeys.rights[set]
	ukeys.mu.Unlock()
	if !ok {
		r = rightsOf(set)
		ukeys.mu.Lock()
		ukeys.rights[set] = r
		ukeys.mu.Unlock()
	}
	return r
}

func writeRegister(r Rights) {
	ukeys.mu.Lock()
	set, ok := ukeys.sets[r]
	ukeys.mu.Unlock()
	if !ok {
		var err error
		if set, err = ukeysetOf(r); err != nil {
			panic(fmt.Sprintf("pkru.Write: building the user-key-set of %v: %v", r, err))
		}
		ukeys.mu.Lock()
		ukeys.sets[r], ukeys.rights[set] = set, r
		ukeys.mu.Unlock()
	}
	if _, err := ukeysetActivate(set, ukaReplaceKeys); err != nil {
		panic(fmt.Sprintf("pkru.Write: ukeyset_activate(%v): %v", r, err))
	}
}
