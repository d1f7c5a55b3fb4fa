package arena

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync/atomic"

	"github.com/pkeyarena/pkeyarena/internal/regions"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// The page allocator: regions mapped from the kernel (guard pages around them, registered with
// guard's registry), cut into slabs of equal slots or runs for one large object, and found
// again from an address.

// region is one mapping: guard page, usable pages, guard page.
type region struct {
	mapping span // the whole mapping, guard pages included
	mem     span // the usable pages
	base    uintptr
	slabs   []atomic.Pointer[slab] // per page: the slab that owns it, nil when free
	used    []bool                 // per page; under Arena.mu
	secret  bool                   // memfd_secret backing: the kernel zeroes its pages when freed
	locked  bool                   // mlocked by the arena (Lock)

	unregister func() // removes the region from guard's registry
}

// slab is a run of pages cut into equal slots of one class, or holding one large object.
type slab struct {
	r      *region
	off    int // first byte of the slab in r.mem
	pages  int
	class  int // -1 for a large object
	size   int // slot capacity in bytes (multiple of 8)
	stride int // distance between slots
	first  int // offset in r.mem of slot 0
	count  int
	recip  uint64   // ^uint64(0)/stride + 1: lookup finds a slot by multiplying (slotOf)
	owner  *shard   // the shard whose lock guards live and lens, and whose lists hold the slots
	live   []uint64 // bit i: slot i is allocated (under owner.mu)
	lens   []int64  // length asked for, per slot (under owner.mu)
}

type slotRef struct {
	s *slab
	i int
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

// carve cuts a new slab for class c (or, with c == -1, a run for one n-byte object) out of free
// pages, mapping a new region when none has room, and writes its canaries. The slab belongs to
// shard owner.
func (a *Arena) carve(c, n int, owner *shard) (*slab, error) {
	var key pkru.Key
	if a.mode == PKU { // pinned first: the canaries are written, and a new region tagged, with it
		k, err := a.vk.pin(KeyWait, nil)
		if err != nil {
			return nil, err
		}
		defer a.vk.unpin()
		key = k
	} else {
		a.protMu.Lock()
		defer a.protMu.Unlock()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed.Load() {
		return nil, fmt.Errorf("arena %q: %w", a.cfg.name, ErrClosed)
	}
	canary := 0
	if a.cfg.canaries {
		canary = canarySize
	}
	s := &slab{class: c, owner: owner}
	if c >= 0 {
		s.size = classSizes[c]
		s.pages = slabPages(c, pageSize)
		if a.mode == Mprotect { // each slab twice the last, up to batchSlabBytes
			if last := a.lastSlabPages[c]; last > 0 {
				s.pages = max(s.pages, min(2*last, batchSlabBytes/pageSize))
			}
			a.lastSlabPages[c] = s.pages
		}
		s.stride = s.size + canary
		s.count = (s.pages*pageSize - canary) / s.stride
	} else {
		s.size = roundUp(n, 8)
		s.pages = roundUp(s.size+2*canary, pageSize) / pageSize
		s.stride = s.pages * pageSize
		s.count = 1
	}
	s.recip = ^uint64(0)/uint64(s.stride) + 1
	r, p, fresh, err := a.pages(s.pages)
	if err != nil {
		return nil, err
	}
	s.r, s.off = r, p*pageSize
	s.first = s.off + canary
	// 64 bytes of padding each side: slabs of different shards are written by different cores,
	// and two small arrays side by side in the heap would share a cache line.
	s.live = make([]uint64, (s.count+63)/64+16)[8 : 8+(s.count+63)/64]
	s.lens = make([]int64, s.count+16)[8 : 8+s.count]

	if a.cfg.canaries {
		restore := func() {} // a fresh region is nobody's yet: written as it is
		if !fresh {
			restore = a.openSlab(s, key)
		}
		if hold != nil {
			hold("carve")
		}
		if c >= 0 {
			for i := 0; i <= s.count; i++ { // one before each slot, one after the last
				a.writeCanary(r, s.first+i*s.stride-canarySize)
			}
		} else {
			a.writeCanary(r, s.first-canarySize)
			a.writeCanary(r, s.first+s.size)
		}
		restore()
	}
	if fresh {
		if err := a.publish(r, key); err != nil {
			return nil, err
		}
	}
	for i := 0; i < s.pages; i++ {
		r.slabs[p+i].Store(s)
	}
	return s, nil
}

// pages finds k contiguous free pages, mapping a new region when no region has them; a new
// region is returned fresh (newRegion), for the caller to publish. Called with mu (and, in
// Mprotect mode, protMu) held.
func (a *Arena) pages(k int) (r *region, first int, fresh bool, err error) {
	for _, e := range a.regs.Entries() {
		r := e.Value
		if p := freeRun(r.used, k); p >= 0 {
			for i := p; i < p+k; i++ {
				r.used[i] = true
			}
			return r, p, false, nil
		}
	}
	r, err = a.newRegion(k * pageSize)
	if err != nil {
		return nil, 0, false, err
	}
	for i := 0; i < k; i++ {
		r.used[i] = true
	}
	return r, 0, true, nil
}

func freeRun(used []bool, k int) int {
	run := 0
	for i, u := range used {
		if u {
			run = 0
			continue
		}
		if run++; run == k {
			return i - k + 1
		}
	}
	return -1
}

// newRegion maps, advises and locks a region of at least need bytes. The region is fresh:
// read-write, untagged, and nobody's until the caller publishes it.
func (a *Arena) newRegion(need int) (*region, error) {
	size := max(a.nextReg, roundUp(need, pageSize))
	if lim := a.cfg.limit; lim > 0 {
		left := lim - a.st.reserved.Load()
		if int64(need) > left {
			return nil, fmt.Errorf("arena %q: %d more bytes would pass the limit of %d "+
				"(%d reserved): %w", a.cfg.name, need, lim, a.st.reserved.Load(), ErrLimit)
		}
		size = min(size, int(left)/pageSize*pageSize)
	}
	for {
		mapping, mem, err := a.mapRegion(size)
		locked := a.cfg.backing == SecretMem // locked by the kernel already
		if err == nil && a.cfg.lock && !locked {
			if err = lockRegion(mem, a.st.locked.Load()); err != nil {
				unmapRegion(mapping)
			}
			locked = err == nil
		}
		if err != nil {
			if outOfMemory(err) && !errors.Is(err, ErrLimit) && size/2 >= need {
				size = roundUp(size/2, pageSize) // take what the limit allows
				continue
			}
			return nil, fmt.Errorf("arena %q: %w", a.cfg.name, err)
		}
		r := &region{mapping: spanOf(mapping), mem: spanOf(mem), base: addrOf(mem),
			secret: a.cfg.backing == SecretMem, locked: locked && a.cfg.backing != SecretMem}
		r.slabs = make([]atomic.Pointer[slab], len(mem)/pageSize)
		r.used = make([]bool, len(mem)/pageSize)
		a.nextReg = min(2*a.nextReg, maxRegion)
		return r, nil
	}
}

// publish seals a new region (the caller has written its first slab's canaries) and only then
// makes it the arena's: in the region list, guard's registry and the statistics. A region whose
// seal fails is unmapped, never left open with objects to come in it. Called with mu held, and
// in PKU mode with key pinned.
func (a *Arena) publish(r *region, key pkru.Key) error {
	mapping, mem := r.mapping.bytes(), r.mem.bytes()
	if err := a.seal(mem, key); err != nil {
		unmapRegion(mapping)
		return fmt.Errorf("arena %q: %w", a.cfg.name, err)
	}
	guardBytes := uintptr(len(mapping)-len(mem)) / 2
	reg := regions.Region{
		Arena: a.cfg.name, Start: addrOf(mapping), End: addrOf(mapping) + uintptr(len(mapping)),
		GuardBelow: guardBytes, GuardAbove: guardBytes, Key: -1,
	}
	if vk := a.vk; vk != nil && !softRegister {
		reg.KeyFunc = func() int {
			if k, ok := vk.key(); ok {
				return int(k)
			}
			return -1
		}
	}
	var err error
	if r.unregister, err = regions.Register(reg); err != nil {
		unmapRegion(mapping)
		return fmt.Errorf("arena %q: %w", a.cfg.name, err)
	}
	if err := a.regs.Add(r.base, r.base+uintptr(len(mem)), r); err != nil {
		r.unregister()
		unmapRegion(mapping)
		return fmt.Errorf("arena %q: internal error: %w", a.cfg.name, err)
	}
	a.st.reserved.Add(int64(len(mem))) // counted only once the region is kept
	if r.locked || r.secret {
		a.st.locked.Add(int64(len(mem)))
	}
	return nil
}

// mapRegion maps a region of size usable bytes, or fails as the test hook says.
func (a *Arena) mapRegion(size int) (mapping, mem []byte, err error) {
	if failure != nil {
		if err := failure("map", size); err != nil {
			return nil, nil, err
		}
	}
	mapping, mem, err = mapRegion(size, a.cfg.guards, a.cfg.backing)
	if err != nil {
		return nil, nil, explainMapFailure(err, size, a.st.locked.Load())
	}
	return mapping, mem, nil
}

// failure, when set by tests, can fail an operation on a new region of size bytes: "map" (its
// mapping) or "seal" (its protection).
var failure func(op string, size int) error

// seal gives a new region's pages the protection of the arena's other pages: tagged with the key
// in PKU mode (pinned by the caller, so no re-tag can run meanwhile), the current process-wide
// protection in Mprotect mode.
func (a *Arena) seal(mem []byte, k pkru.Key) error {
	if failure != nil {
		if err := failure("seal", len(mem)); err != nil {
			return err
		}
	}
	if softRegister {
		return nil // benchmark builds: pages stay untagged (see register_soft.go)
	}
	if a.mode == PKU {
		return protect(mem, protRW, k)
	}
	if a.curProt != protRW {
		return protect(mem, a.curProt, 0)
	}
	return nil
}

// lookup finds the slab and slot of an allocation that starts at addr.
func (a *Arena) lookup(addr uintptr) (*slab, int, bool) {
	r, ok := a.regs.Find(addr)
	if !ok {
		return nil, 0, false
	}
	off := addr - r.base
	s := r.slabs[off>>pageShift].Load()
	if s == nil {
		return nil, 0, false
	}
	rel := uint64(off) - uint64(s.first) // before the first slot: wraps past the slab's end
	if rel >= uint64(s.count)*uint64(s.stride) {
		return nil, 0, false
	}
	i, ok := s.slotOf(rel)
	return s, i, ok
}

// pageShift is log2(pageSize): lookup's page index by shift (a page size is a power of two).
var pageShift = uint(bits.TrailingZeros(uint(pageSize)))

// slotOf returns rel/stride, and whether rel is a multiple of stride, without dividing: Free's
// lookup is on the hot path, and a 64-bit division costs tens of cycles. For rel and stride below
// 2^32, with recip = ceil(2^64/stride), rel is a multiple exactly when rel*recip mod 2^64 < recip,
// and the quotient is the high word of rel*recip (Lemire, Kaser and Kurz, "Faster remainder by
// direct computation", 2019). A larger rel (a slab over 4 GiB) divides.
func (s *slab) slotOf(rel uint64) (int, bool) {
	if rel > math.MaxUint32 || uint64(s.stride) > math.MaxUint32 {
		return int(rel / uint64(s.stride)), rel%uint64(s.stride) == 0
	}
	if rel*s.recip >= s.recip {
		return 0, false
	}
	q, _ := bits.Mul64(rel, s.recip)
	return int(q), true
}

// releasePages returns a wiped large object's pages to its region.
func (a *Arena) releasePages(s *slab) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := s.off / pageSize
	for i := p; i < p+s.pages; i++ {
		s.r.slabs[i].Store(nil)
		s.r.used[i] = false
	}
}
