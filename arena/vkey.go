package arena

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/pkeyarena/pkeyarena/internal/regions"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// Key virtualisation (PKU mode). A CPU has few protection keys (15 usable on x86, fewer when
// other code took some), so an arena does not own one for life: it holds a virtual key that is
// bound to a hardware key while it is in use. When a binding is needed and the kernel has no key
// left, the least recently used arena whose key is not pinned loses its key: its pages are
// parked (PROT_NONE, tagged with the default key 0, so no thread can touch them whatever its
// register says), and the key is re-tagged onto the newcomer's pages.
//
// The protocol, and why no thread ever sees an arena change key under it:
//
//   - Every user of an arena's key pins it first: domain.Enter (until Exit), and the arena's
//     own wipes and canary writes. Pinning is in.Add(1) on the goroutine's pin stripe followed by
//     a load of the state word; unpinning is out.Add(1). A pin that finds the arena bound is a
//     hit and costs nothing more.
//   - Only two things change an arena's tag, both under pool.mu: binding an unbound arena, and
//     evicting a bound one. Eviction first marks the victim evicting (CAS on the state word),
//     then sums every stripe's out, then every in: equal means nobody holds a pin, and anybody
//     pinning from then on sees the mark and takes the slow path, which waits for pool.mu. Go's
//     atomics are
//     sequentially consistent, so a pinner and an evictor cannot both miss each other (the
//     Dekker pattern): either the evictor sees the pin and picks another victim, or the pinner
//     sees the mark.
//   - So a pinned arena keeps its key, and its pages keep their tag, for as long as the pin
//     lasts. A thread's register grants a library key only between Enter and Exit of a domain
//     that pinned the arena holding it (nested domains keep their pins until their own Exit), so
//     a key taken from an unpinned arena is granted by no thread: the newcomer's pages, tagged
//     with it afterwards, are readable by no one until a domain that grants the newcomer pins it
//     and writes its register.
//   - The victim is parked before the newcomer is tagged: no moment has two arenas readable
//     under one key.
//
// Choosing the victim approximates LRU with the CLOCK algorithm (second chance). The reference
// bit is implicit: an arena was used since the hand last passed if its pins taken (the sum of
// in) moved. The evictor sweeps the bound keys, remembering each count, and takes the first
// unpinned arena whose count has not moved. Exact LRU, or an explicit bit, would cost every Enter
// a store to shared memory; this costs the hit path nothing.

// State word of a virtual key.
const (
	stKeyMask  = 0xff   // the hardware key, when bound
	stBound    = 1 << 8 // holds a hardware key; its pages are tagged with it
	stEvicting = 1 << 9 // an evictor is checking the pins (under pool.mu)
	stClosed   = 1 << 10
)

// KeyWait is how long domain.Enter (and the arena's own maintenance) waits for a protection key
// when every key is pinned by threads inside other domains, before it gives up with
// ErrKeysPinned. Pins last as long as a domain is entered, so waiting usually succeeds; it cannot
// when nested domains on one thread need more keys than the hardware has (that would deadlock,
// so the wait is bounded).
const KeyWait = time.Second

// ErrKeysPinned is returned when an arena needs a protection key and every key the library holds
// is pinned (a thread is inside a domain that uses it) and the kernel has none left. It wraps
// pkru.ErrNoKeys.
var ErrKeysPinned = fmt.Errorf("every protection key is pinned by a thread inside a domain: %w",
	pkru.ErrNoKeys)

// vkey is an arena's virtual key. It is its own object, not part of Arena, so that the pool and
// the cleanup backstop can refer to it without keeping the Arena reachable.
type vkey struct {
	state atomic.Uint32
	_     cpu.CacheLinePad // every pin reads state; no pin writes its line
	pins  [pinStripes]pinStripe
	regs  *regions.Set[*region]
	name  string
	// dedicated: the key is bound for the arena's life and never evicted, so pins are not
	// counted (DedicatedKey).
	dedicated bool

	// Under pool.mu.
	misses, evictions, failed int64
	seen                      int64 // pinsTaken when the CLOCK hand last passed: a change is a use
}

// pool is the library's set of hardware keys and the arenas bound to them.
var pool struct {
	mu        sync.Mutex
	bound     [pkru.NumKeys]*vkey // by hardware key; nil: not the library's, or free
	hand      int                 // CLOCK hand
	misses    int64
	evictions int64
	retags    int64 // regions re-tagged
	retagTime time.Duration
	// quarantined: keys taken from the kernel and never used (quarantine.go)
	quarantined int
	// kernelOut: pkey_alloc failed for want of keys, so misses evict without asking again
	// (each refusal costs a system call and the error's allocations) until the library frees a
	// key; when there is nothing to evict it asks again, since other code may have freed keys.
	kernelOut bool
}

// newVkey gives a new PKU-mode arena its virtual key, bound to a fresh hardware key when the
// kernel has one. With none left it starts unbound (it has no pages yet, so binding later costs
// no re-tag), unless the library holds no key at all: then no binding can ever succeed and the
// error wraps pkru.ErrNoKeys.
func newVkey(name string, regs *regions.Set[*region], dedicated bool) (*vkey, error) {
	v := &vkey{regs: regs, name: name, dedicated: dedicated}
	if softRegister {
		v.state.Store(stBound | uint32(softKey)) // benchmark builds: one made-up key, never evicted
		return v, nil
	}
	v.seen = -1 // counts as used
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if dedicated { // from the kernel, or taken from an unpinned virtual arena
		k, err := takeKey(v)
		if errors.Is(err, ErrKeysPinned) {
			err = fmt.Errorf("no protection key for a dedicated key: every key is dedicated "+
				"or pinned: %w", pkru.ErrNoKeys)
		}
		if err != nil {
			return nil, err
		}
		pool.bound[k] = v
		v.state.Store(stBound | uint32(k))
		return v, nil
	}
	if pool.kernelOut && evictable() {
		return v, nil // one will be evicted for this arena when it needs it
	}
	k, err := kernelKey()
	if err == nil {
		pool.bound[k] = v
		v.state.Store(stBound | uint32(k))
		return v, nil
	}
	if errors.Is(err, pkru.ErrNoKeys) && evictable() {
		return v, nil
	}
	return nil, err
}

// evictable reports whether the library holds a virtual arena's key (pool.mu held).
func evictable() bool {
	for _, w := range pool.bound {
		if w != nil && !w.dedicated {
			return true
		}
	}
	return false
}

// key returns the bound key, or false.
func (v *vkey) key() (pkru.Key, bool) {
	s := v.state.Load()
	return pkru.Key(s & stKeyMask), s&stBound != 0
}

// bindSlow is pin's slow path: v is unbound, being evicted or closed. The caller holds a pin.
// While every key is pinned it waits up to wait, or until done is closed.
func (v *vkey) bindSlow(wait time.Duration, done <-chan struct{}) (pkru.Key, error) {
	deadline := time.Now().Add(wait)
	pause := 20 * time.Microsecond
	for {
		pool.mu.Lock()
		s := v.state.Load()
		switch {
		case s&stClosed != 0:
			v.failed++
			pool.mu.Unlock()
			return 0, v.closedErr()
		case s&stBound != 0: // bound meanwhile by another pinner, or the eviction was called off
			pool.mu.Unlock()
			return pkru.Key(s & stKeyMask), nil
		}
		k, err := takeKey(v)
		if err == nil {
			start := time.Now()
			for _, e := range v.regs.Entries() {
				r := e.Value
				mustRetag(r.mem.bytes(), protRW, k)
			}
			pool.retagTime += time.Since(start)
			pool.retags += int64(v.regs.Len())
			pool.bound[k] = v
			v.seen = v.pinsTaken() - 1 // just used
			v.misses++
			pool.misses++
			v.state.Store(stBound | uint32(k))
			pool.mu.Unlock()
			return k, nil
		}
		if !errors.Is(err, ErrKeysPinned) || wait <= 0 || time.Now().After(deadline) || closed(done) {
			v.failed++
			pool.mu.Unlock()
			return 0, fmt.Errorf("arena %q: %w", v.name, err)
		}
		pool.mu.Unlock()
		time.Sleep(pause)
		pause = min(2*pause, time.Millisecond)
	}
}

// closed reports whether done (nil: never) is closed.
func closed(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// takeKey finds a hardware key for v (pool.mu held): a new one from the kernel, or one evicted
// from the least recently used unpinned arena (CLOCK). The evicted arena is parked.
func takeKey(v *vkey) (pkru.Key, error) {
	if !pool.kernelOut {
		if k, err := kernelKey(); err == nil || !errors.Is(err, pkru.ErrNoKeys) {
			return k, err
		}
	}
	held := false
	for step := 0; step < 2*len(pool.bound); step++ {
		i := (pool.hand + step) % len(pool.bound)
		w := pool.bound[i]
		if w == nil || w.dedicated {
			continue
		}
		held = true
		if in := w.pinsTaken(); in != w.seen { // used since the hand last passed: a second chance
			w.seen = in
			continue
		}
		s := w.state.Load()
		if s&stClosed != 0 || !w.state.CompareAndSwap(s, s|stEvicting) {
			continue
		}
		if w.pinned() {
			w.state.Store(s)
			continue
		}
		start := time.Now()
		for _, e := range w.regs.Entries() {
			r := e.Value
			mustRetag(r.mem.bytes(), protNone, 0)
		}
		pool.retagTime += time.Since(start)
		pool.retags += int64(w.regs.Len())
		pool.bound[i] = nil
		w.state.Store(0)
		w.evictions++
		pool.evictions++
		pool.hand = (i + 1) % len(pool.bound)
		return pkru.Key(i), nil
	}
	// Nothing to evict: other code may have given keys back since the kernel last had none (the
	// library would not know), so ask once more before giving up.
	if k, err := kernelKey(); err == nil || !held {
		return k, err
	}
	return 0, ErrKeysPinned
}

// kernelKey allocates a hardware key from the kernel (pool.mu held), noting when it has none.
func kernelKey() (pkru.Key, error) {
	for {
		k, err := pkru.Alloc(pkru.NoAccess)
		if err != nil {
			pool.kernelOut = errors.Is(err, pkru.ErrNoKeys)
			return 0, err
		}
		pool.kernelOut = false
		registerKey(k, 1)
		if !quarantined(k) { // a thread may grant k (quarantine.go): kept, and never used
			return k, nil
		}
	}
}

// mustRetag tags an arena's pages (binding: read-write with its key; parking: no access with key
// 0). It fails only on broken invariants, and a half-done re-tag must not go unnoticed.
func mustRetag(mem []byte, prot int, k pkru.Key) {
	if err := pkru.Protect(mem, prot, k); err != nil {
		panic(fmt.Sprintf("arena: cannot re-tag its own pages to key %d: %v", k, err))
	}
}

// closeKey is the first step of closing (PKU mode): it marks v closed, so no new pin succeeds,
// unless a domain that grants the arena is inside (an error wrapping ErrBusy; nothing changes).
// For a virtual key the pins tell; a dedicated key counts none, so only a domain entered by the
// calling thread itself can be seen: its register still grants the key.
func (v *vkey) closeKey() error {
	if v.dedicated && v.grantedHere() {
		return fmt.Errorf("Close from inside a domain that grants the arena (its dedicated key "+
			"is open on this thread): %w", ErrBusy)
	}
	pool.mu.Lock()
	defer pool.mu.Unlock()
	s := v.state.Load() // changes only under pool.mu
	v.state.Store(s | stClosed)
	if !v.dedicated && v.pinned() {
		v.state.Store(s)
		return fmt.Errorf("Close while a domain is inside, or the arena's own work on another "+
			"goroutine holds its key (its key is pinned): %w", ErrBusy)
	}
	return nil
}

// grantedHere reports whether the calling thread's register grants any access to v's key.
func (v *vkey) grantedHere() bool {
	k, ok := v.key()
	if !ok || softRegister {
		return false
	}
	runtime.LockOSThread() // a goroutine inside a domain is locked already; this only nests
	defer runtime.UnlockOSThread()
	return readRights().Access(k) != pkru.NoAccess
}

// release gives v's hardware key back to the kernel (pool.mu not held; v closed, its pages gone).
func (v *vkey) release() error {
	if softRegister {
		return nil
	}
	pool.mu.Lock()
	defer pool.mu.Unlock()
	k, ok := v.key()
	if !ok || pool.bound[k] != v {
		return nil
	}
	pool.bound[k] = nil
	v.state.Store(stClosed)
	registerKey(k, -1)
	pool.kernelOut = false // the kernel has this one again
	return k.Free()
}

// refused counts a pin that found the key but was given back, refused (its arena closed
// meanwhile): not a hit. (A dedicated key's pins are not counted.)
func (v *vkey) refused() {
	if v.dedicated {
		return
	}
	pool.mu.Lock()
	v.failed++
	pool.mu.Unlock()
}

// stats returns hits, misses and evictions of v's key.
func (v *vkey) stats() (hits, misses, evictions int64) {
	pool.mu.Lock()
	misses, evictions, failed := v.misses, v.evictions, v.failed
	pool.mu.Unlock()
	return v.pinsTaken() - misses - failed, misses, evictions
}
