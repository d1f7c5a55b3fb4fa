package arena

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkeyarena/pkeyarena/internal/regions"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// maxAlloc bounds a single allocation: 16 GiB, or 1 GiB where int has 32 bits.
const maxAlloc = min(1<<34, math.MaxInt/2+1)

// region is one mapping: guard page, usable pages, guard page.
type region struct {
	mapping []byte
	mem     []byte
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
	owner  *shard   // the shard whose lock guards live and lens, and whose lists hold the slots
	live   []uint64 // bit i: slot i is allocated (under owner.mu)
	lens   []int64  // length asked for, per slot (under owner.mu)
}

type slotRef struct {
	s *slab
	i int
}

// fifo is a queue of free slots: reuse is as late as possible, which widens the window in which
// a double free is still detected.
type fifo struct {
	buf  []slotRef
	head int
}

func (q *fifo) len() int { return len(q.buf) - q.head }

func (q *fifo) push(r slotRef) { q.buf = append(q.buf, r) }

func (q *fifo) pop() slotRef {
	r := q.buf[q.head]
	q.buf[q.head] = slotRef{}
	q.head++
	if q.head > 64 && q.head*2 > len(q.buf) {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
	return r
}

// shard is one of the arena's free-slot caches; goroutines pick one by a hint of their stack
// address and try-lock, so that goroutines on different cores rarely share one. Each slab belongs
// to one shard: its lock guards the slab's metadata, so Alloc and Free take one lock each and no
// other atomic operation.
type shard struct {
	mu           sync.Mutex
	ready        [numClasses]fifo // wiped slots with intact canaries, ready to hand out
	pending      []slotRef        // freed slots not yet wiped (still protected, never handed out)
	pendingBytes int
	allocs       int64
	frees        int64
	objects      int64
	inUse        int64
	scratch      [canarySize]byte // canaries read through the kernel's view (under mu)
	_            [64]byte         // keep shards on separate cache lines
}

// shardCount is 4 shards per processor (a power of two, at most 64): goroutines are spread by a
// hash of their stack address, and two running goroutines on one shard contend on every Free
// (a Free locks the shard that owns the slot), so collisions must be rare.
func shardCount() int {
	n := 1
	for n < 4*runtime.GOMAXPROCS(0) && n < 64 {
		n *= 2
	}
	return max(n, 4)
}

func (a *Arena) lockShard() *shard {
	n := len(a.shards)
	h := shardHint()
	for i := 0; i < n; i++ {
		if s := &a.shards[(h+i)&(n-1)]; s.mu.TryLock() {
			return s
		}
	}
	s := &a.shards[h&(n-1)]
	s.mu.Lock()
	return s
}

// shardHint spreads goroutines over shards by their stack address.
func shardHint() int { return int(uint64(stackHint()>>13) * 0x9E3779B97F4A7C15 >> 58) }

// Alloc returns n bytes of zeroed arena memory. Outside a domain that grants the arena the bytes
// cannot be read or written. n must be 1 or more.
//
// Alloc never touches the protected bytes (the canaries of free slots are already in place), so
// it needs no key and no system call unless the arena must grow. Before it refuses for lack of
// memory it wipes every pending free and tries again. Its errors, and when it waits for a key,
// are listed in the package doc (Errors and waits).
func (a *Arena) Alloc(n int) ([]byte, error) {
	a.mustBeMade()
	if n <= 0 || n > maxAlloc {
		return nil, fmt.Errorf("arena %q: Alloc(%d): %w", a.cfg.name, n, ErrInvalidSize)
	}
	if a.closed.Load() {
		return nil, fmt.Errorf("arena %q: %w", a.cfg.name, ErrClosed)
	}
	if n > maxSmall {
		return a.allocLarge(n)
	}
	c := sizeClass(n)
	s := a.lockShard()
	wiped, reclaimed := false, false
	for {
		if a.closed.Load() {
			s.mu.Unlock()
			return nil, fmt.Errorf("arena %q: %w", a.cfg.name, ErrClosed)
		}
		if s.ready[c].len() > 0 {
			b := a.handOut(s.ready[c].pop(), n)
			s.allocs++
			s.objects++
			s.inUse += int64(n)
			s.mu.Unlock()
			return b, nil
		}
		wipe := a.mode == PKU && !wiped && len(s.pending) > 0
		s.mu.Unlock()
		if wipe { // in PKU mode a wipe costs no system call: reuse before growing
			wiped = true
			if err := a.wipeShard(s, true); err != nil {
				return nil, err
			}
		} else if err := a.refill(c, s); err != nil {
			if o := a.borrow(c); o != nil { // out of memory to grow: another shard's slots
				s = o
				continue
			}
			if reclaimed || !outOfMemory(err) {
				return nil, err
			}
			reclaimed = true
			a.reclaim() // every shard's pending frees (reclaim.go), then look again
		}
		s.mu.Lock()
	}
}

// borrow returns a shard, locked, that has ready slots of class c, or nil. Slots stay with the
// shard that owns their slab, and a shard cuts its own slabs rather than take another's (which
// would make two goroutines share a lock on every Free); only when the arena cannot grow does an
// allocation take a slot from another shard.
func (a *Arena) borrow(c int) *shard {
	for i := range a.shards {
		o := &a.shards[i]
		o.mu.Lock()
		if o.ready[c].len() > 0 {
			return o
		}
		o.mu.Unlock()
	}
	return nil
}

// refill makes more slots of class c ready: in Mprotect mode by wiping pending frees first,
// otherwise by cutting a new slab owned by shard s.
//
// In Mprotect mode pending frees are flushed once they make a batch worth it (half the pending
// bound: flushing at the full bound lets a class cut a second slab first, and a flush then
// handles two regions), or when no more memory can be had (Alloc's reclaim); until then new
// slabs are cut.
func (a *Arena) refill(c int, s *shard) error {
	if a.mode == Mprotect {
		if pending := a.pendingTotal(); pending > 0 && pending >= a.cfg.pendingMax/2 {
			a.flush()
			return nil // the wiped slots are back in their shards' ready lists
		}
	}
	sl, err := a.carve(c, 0, s)
	if err != nil {
		return err
	}
	s.mu.Lock()
	for i := 0; i < sl.count; i++ {
		s.ready[c].push(slotRef{sl, i})
	}
	s.mu.Unlock()
	return nil
}

func (a *Arena) pendingTotal() int {
	total := 0
	for i := range a.shards {
		s := &a.shards[i]
		s.mu.Lock()
		total += s.pendingBytes
		s.mu.Unlock()
	}
	return total
}

// handOut marks slot ref as allocated with length n and returns its bytes (owner's lock held).
func (a *Arena) handOut(ref slotRef, n int) []byte {
	s := ref.s
	bit := uint64(1) << (ref.i % 64)
	if s.live[ref.i/64]&bit != 0 {
		panic(fmt.Sprintf("arena %q: internal error: slot %d of a %d-byte slab handed out twice", a.cfg.name, ref.i, s.size))
	}
	s.live[ref.i/64] |= bit
	s.lens[ref.i] = int64(n)
	off := s.first + ref.i*s.stride
	return s.r.mem[off : off+n : off+n]
}

func (a *Arena) allocLarge(n int) ([]byte, error) {
	sh := &a.shards[shardHint()&(len(a.shards)-1)]
	s, err := a.carve(-1, n, sh)
	if err != nil && outOfMemory(err) { // pending frees may hold the pages (reclaim.go)
		a.reclaim()
		s, err = a.carve(-1, n, sh)
	}
	if err != nil {
		return nil, err
	}
	sh.mu.Lock()
	b := a.handOut(slotRef{s, 0}, n)
	sh.allocs++
	sh.objects++
	sh.inUse += int64(n)
	sh.mu.Unlock()
	return b, nil
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
			if last := a.lastSlab[c]; last > 0 {
				s.pages = max(s.pages, min(2*last, batchSlabBytes/pageSize))
			}
			a.lastSlab[c] = s.pages
		}
		s.stride = s.size + canary
		s.count = (s.pages*pageSize - canary) / s.stride
	} else {
		s.size = roundUp(n, 8)
		s.pages = roundUp(s.size+2*canary, pageSize) / pageSize
		s.stride = s.pages * pageSize
		s.count = 1
	}
	r, p, fresh, err := a.pages(s.pages)
	if err != nil {
		return nil, err
	}
	s.r, s.off = r, p*pageSize
	s.first = s.off + canary
	// 64 bytes of padding each side: slabs of different shards are written by different cores,
	// and two small arrays side by side in the heap would share a cache line (measured: half the
	// two-goroutine runs took twice as long per operation).
	s.live = make([]uint64, (s.count+63)/64+16)[8 : 8+(s.count+63)/64]
	s.lens = make([]int64, s.count+16)[8 : 8+s.count]

	if a.cfg.canaries {
		restore := a.openSlab(s, fresh, key)
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
		if err := a.seal(r, key); err != nil {
			return nil, err
		}
	}
	for i := 0; i < s.pages; i++ {
		r.slabs[p+i].Store(s)
	}
	return s, nil
}

// pages finds k contiguous free pages, mapping a new region when no region has them. A new
// region is returned fresh: read-write, untagged, not yet visible in the region list's
// protection state; the caller seals it. Called with mu (and, in Mprotect mode, protMu) held.
func (a *Arena) pages(k int) (r *region, first int, fresh bool, err error) {
	for _, r := range a.regs.load() {
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

// newRegion maps, advises and locks a region of at least need bytes.
func (a *Arena) newRegion(need int) (*region, error) {
	size := max(a.nextReg, roundUp(need, pageSize))
	if lim := a.cfg.limit; lim > 0 {
		left := lim - a.st.reserved.Load()
		if int64(need) > left {
			return nil, fmt.Errorf("arena %q: %d more bytes would pass the limit of %d (%d reserved): %w", a.cfg.name, need, lim, a.st.reserved.Load(), ErrLimit)
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
		r := &region{mapping: mapping, mem: mem, base: addrOf(mem), secret: a.cfg.backing == SecretMem,
			locked: locked && a.cfg.backing != SecretMem}
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
		r.unregister, err = regions.Register(reg)
		if err != nil {
			unmapRegion(mapping)
			return nil, fmt.Errorf("arena %q: %w", a.cfg.name, err)
		}
		r.slabs = make([]atomic.Pointer[slab], len(mem)/pageSize)
		r.used = make([]bool, len(mem)/pageSize)
		old := a.regs.load()
		list := append(append(make([]*region, 0, len(old)+1), old...), r)
		sort.Slice(list, func(i, j int) bool { return list[i].base < list[j].base })
		a.regs.list.Store(&list)
		a.st.reserved.Add(int64(len(mem))) // counted only once the region is kept
		if locked {
			a.st.locked.Add(int64(len(mem)))
		}
		a.nextReg = min(2*a.nextReg, maxRegion)
		return r, nil
	}
}

// mapRegion maps a region of size usable bytes, or fails as the test hook says.
func (a *Arena) mapRegion(size int) (mapping, mem []byte, err error) {
	if mapFailure != nil {
		if err := mapFailure(size); err != nil {
			return nil, nil, err
		}
	}
	mapping, mem, err = mapRegion(size, a.cfg.guards, a.cfg.backing)
	if err != nil {
		return nil, nil, explainMapFailure(err, size, a.st.locked.Load())
	}
	return mapping, mem, nil
}

// mapFailure, when set by tests, can fail the mapping of a region of size bytes.
var mapFailure func(size int) error

// seal gives a fresh region the protection of the arena's other pages: tagged with the key in
// PKU mode (pinned by the caller, so no re-tag can run meanwhile), the current process-wide
// protection in Mprotect mode.
func (a *Arena) seal(r *region, k pkru.Key) error {
	if softRegister {
		return nil // benchmark builds: pages stay untagged (see register_soft.go)
	}
	if a.mode == PKU {
		return protect(r.mem, protRW, k)
	}
	if a.curProt != protRW {
		return protect(r.mem, a.curProt, 0)
	}
	return nil
}

// grantThread gives the calling thread read-write access to key k (pinned by the caller, or
// closed) in PKU mode; revokeThread(saved) undoes it. (A returned closure would cost Free an
// allocation.)
func (a *Arena) grantThread(k pkru.Key) (saved pkru.Rights) {
	runtime.LockOSThread()
	saved = readRights()
	writeRights(saved.With(k, pkru.ReadWrite))
	return saved
}

func revokeThread(saved pkru.Rights) {
	writeRights(saved)
	runtime.UnlockOSThread()
}

// openThread pins the arena's key and grants it to the calling thread (PKU mode); the returned
// func revokes and unpins.
func (a *Arena) openThread() (func(), error) {
	k, err := a.vk.pin(KeyWait, nil)
	if err != nil {
		return nil, err
	}
	saved := a.grantThread(k)
	return func() {
		revokeThread(saved)
		a.vk.unpin()
	}, nil
}

// openSlab makes the pages of the new slab s writable for the caller: nothing for a fresh region,
// a register write in PKU mode (the caller holds a pin on key k), an mprotect of the slab's own
// pages in Mprotect mode (protMu held). Those pages were free, so they hold no live object: no
// other thread gains access to a secret. It returns the undo.
func (a *Arena) openSlab(s *slab, fresh bool, k pkru.Key) func() {
	switch {
	case fresh:
		return func() {}
	case a.mode == PKU:
		saved := a.grantThread(k)
		return func() { revokeThread(saved) }
	case a.curProt == protRW:
		return func() {}
	}
	pages := s.r.mem[s.off : s.off+s.pages*pageSize]
	mustProtect(pages, protRW)
	return func() { mustProtect(pages, a.curProt) }
}

// mustProtect changes the protection of pages the arena owns. It fails only on broken invariants
// (the range is mapped and page-aligned), so failure panics rather than leave pages open.
func mustProtect(mem []byte, prot int) {
	if err := protect(mem, prot, 0); err != nil {
		panic(fmt.Sprintf("arena: cannot change the protection of its own pages: %v", err))
	}
}

func (a *Arena) canaryAt(r *region, off int) uint64 {
	return a.canary ^ uint64(r.base+uintptr(off))*0x9E3779B97F4A7C15
}

func (a *Arena) writeCanary(r *region, off int) {
	binary.LittleEndian.PutUint64(r.mem[off:], a.canaryAt(r, off))
}

func (a *Arena) canaryOK(r *region, off int) bool {
	return binary.LittleEndian.Uint64(r.mem[off:]) == a.canaryAt(r, off)
}

// lookup finds the slab and slot of an allocation that starts at addr.
func (a *Arena) lookup(addr uintptr) (*slab, int, bool) {
	regs := a.regs.load()
	lo, hi := 0, len(regs) // the first region that ends after addr
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if regs[m].base+uintptr(len(regs[m].mem)) > addr {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo == len(regs) || addr < regs[lo].base {
		return nil, 0, false
	}
	r := regs[lo]
	off := int(addr - r.base)
	s := r.slabs[off/pageSize].Load()
	if s == nil {
		return nil, 0, false
	}
	rel := off - s.first
	if rel < 0 || rel%s.stride != 0 || rel/s.stride >= s.count {
		return nil, 0, false
	}
	return s, rel / s.stride, true
}

// Free returns b to the arena. b must be exactly a slice returned by Alloc (same start and
// length); anything else, and a second Free, returns ErrNotAllocated and changes nothing.
//
// The bytes stay protected and are wiped, and their canaries checked, in a batch: always before
// the slot is reused, the next time a domain that grants the arena is entered, at
// Check and Close, and once a shard holds PendingBytes (PKU mode; when a key can be had without
// waiting) or DefaultPendingBytes (Mprotect mode) of them, whichever comes first. A canary found overwritten then is reported by
// the next Check or Close (ErrCorrupted). Batching is what keeps Free free of key switches and
// system calls.
func (a *Arena) Free(b []byte) error {
	a.mustBeMade()
	if len(b) == 0 {
		return fmt.Errorf("arena %q: Free of an empty slice: %w", a.cfg.name, ErrNotAllocated)
	}
	if a.closed.Load() {
		return fmt.Errorf("arena %q: %w", a.cfg.name, ErrClosed)
	}
	addr := addrOf(b)
	s, i, ok := a.lookup(addr)
	if !ok {
		return fmt.Errorf("arena %q: Free(%#x, %d bytes): %w", a.cfg.name, addr, len(b), ErrNotAllocated)
	}
	sh := s.owner
	sh.mu.Lock()
	if a.closed.Load() {
		sh.mu.Unlock()
		return fmt.Errorf("arena %q: %w", a.cfg.name, ErrClosed)
	}
	if s.lens[i] != int64(len(b)) || cap(b) != len(b) {
		sh.mu.Unlock()
		return fmt.Errorf("arena %q: Free(%#x, %d bytes): %w", a.cfg.name, addr, len(b), ErrNotAllocated)
	}
	bit := uint64(1) << (i % 64)
	if s.live[i/64]&bit == 0 {
		sh.mu.Unlock()
		return fmt.Errorf("arena %q: Free(%#x, %d bytes) of memory already freed: %w", a.cfg.name, addr, len(b), ErrNotAllocated)
	}
	s.live[i/64] &^= bit
	sh.frees++
	sh.objects--
	sh.inUse -= int64(len(b))
	sh.pending = append(sh.pending, slotRef{s, i})
	sh.pendingBytes += s.size
	full := sh.pendingBytes > a.pendingMax()
	sh.mu.Unlock()
	if !a.dirty.Load() {
		a.dirty.Store(true)
	}
	if full {
		if a.mode == PKU {
			// Without waiting for a key: when every key is pinned the slots wait for the next
			// wipe (before reuse, the next Enter, Check or Close) rather than stall this Free.
			_ = a.wipeShard(sh, false)
		} else {
			a.flush()
		}
	}
	return nil
}

// pendingMax is the bound on pending bytes per shard.
func (a *Arena) pendingMax() int {
	if a.mode == PKU {
		return min(a.cfg.pendingMax, PendingBytes)
	}
	return a.cfg.pendingMax
}

// wipeShard wipes shard sh's pending frees in PKU mode: one pin and two register writes for the
// batch. It fails only when no key can be had (ErrKeysPinned; with wait, after KeyWait) or the
// arena is closed.
func (a *Arena) wipeShard(sh *shard, wait bool) error {
	var d time.Duration
	if wait {
		d = KeyWait
	}
	k, err := a.vk.pin(d, nil)
	if err != nil {
		return err
	}
	saved := a.grantThread(k)
	sh.mu.Lock()
	if hold != nil {
		hold("flush")
	}
	large, errs := a.wipePending(sh, false)
	sh.mu.Unlock()
	revokeThread(saved)
	a.vk.unpin()
	a.settle(large, errs)
	return nil
}

// wipePending wipes sh's pending slots (sh locked, the memory open) and makes the small ones
// ready; it returns the large objects, whose pages the caller gives back, and the corruption found.
func (a *Arena) wipePending(sh *shard, viaKernel bool) (large []*slab, errs []error) {
	pend := sh.pending
	for _, ref := range pend {
		var err error
		if viaKernel {
			err = a.wipeSlotFromKernel(ref, &sh.scratch)
		} else {
			err = a.wipeSlot(ref)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	for len(pend) > 0 { // to the ready lists in runs of one class (usually one run)
		c, n := pend[0].s.class, 1
		for n < len(pend) && pend[n].s.class == c {
			n++
		}
		if c >= 0 {
			sh.ready[c].buf = append(sh.ready[c].buf, pend[:n]...)
		} else {
			for _, ref := range pend[:n] {
				large = append(large, ref.s)
			}
		}
		pend = pend[n:]
	}
	clear(sh.pending)
	sh.pending, sh.pendingBytes = sh.pending[:0], 0
	return large, errs
}

// settle finishes a batch of wipes: large objects' pages go back to their regions, corruption is
// kept for the next Check or Close (it belongs to objects freed earlier, not to the caller).
func (a *Arena) settle(large []*slab, errs []error) {
	for _, s := range large {
		a.releasePages(s)
	}
	if errs != nil {
		a.defMu.Lock()
		a.deferred = append(a.deferred, errs...)
		a.defMu.Unlock()
	}
	a.st.flushes.Add(1)
}

// wipeAll wipes every shard's pending frees in PKU mode if any Free happened since the last
// time. (Mprotect mode's equivalent is flush.)
func (a *Arena) wipeAll() error {
	if !a.dirty.Load() {
		return nil
	}
	a.dirty.Store(false) // before the scan: a Free racing with it marks the arena again
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		n := len(sh.pending)
		sh.mu.Unlock()
		if n > 0 {
			if err := a.wipeShard(sh, true); err != nil {
				a.dirty.Store(true)
				return err
			}
		}
	}
	return nil
}

// wipeSlot checks the canaries around a freed slot, zeroes it and rewrites the canaries. The
// caller has opened the memory.
func (a *Arena) wipeSlot(ref slotRef) error {
	s, r := ref.s, ref.s.r
	off := s.first + ref.i*s.stride
	if s.class >= 0 && a.cfg.canaries { // the common case, kept lean: a batch wipes thousands
		m := r.mem[off-canarySize : off+s.size+canarySize]
		below, above := binary.LittleEndian.Uint64(m), binary.LittleEndian.Uint64(m[len(m)-canarySize:])
		clear(m[canarySize : len(m)-canarySize])
		if below == a.canaryAt(r, off-canarySize) && above == a.canaryAt(r, off+s.size) {
			return nil
		}
	}
	var err error
	if a.cfg.canaries {
		var where []string
		if !a.canaryOK(r, off-canarySize) {
			where = append(where, "before its start (underflow)")
		}
		if !a.canaryOK(r, off+s.size) {
			where = append(where, "past its end (overflow)")
		}
		if where != nil {
			err = fmt.Errorf("arena %q: object at %#x (%d-byte slot): written %v: %w", a.cfg.name, r.base+uintptr(off), s.size, where, ErrCorrupted)
		}
	}
	if s.class < 0 {
		zeroRun(r, r.mem[s.off:s.off+s.pages*pageSize]) // the whole run, canaries included
		return err
	}
	clear(r.mem[off : off+s.size])
	if err != nil { // restore the canaries for the slot's next user
		a.writeCanary(r, off-canarySize)
		a.writeCanary(r, off+s.size)
	}
	return err
}

// zeroRun zeroes a run of r's pages that the caller has open without committing the pages that
// were never touched: a large run of private anonymous pages is dropped (they read back as
// zeros); smaller runs are cheaper to write, and secret memory is resident from its mapping on.
func zeroRun(r *region, mem []byte) {
	if len(mem) >= discardBytes && !r.secret && dropPages(mem, r.locked) == nil {
		return
	}
	clear(mem)
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

// flush wipes every pending free (Mprotect mode) and makes the slots ready again. Corruption it
// finds is kept for the next Check or Close: it belongs to objects freed earlier, not to the
// caller.
func (a *Arena) flush() {
	a.protMu.Lock()
	defer a.protMu.Unlock()
	a.flushLocked()
}

// flushLocked is flush with protMu held. While a domain with a read-write grant is inside, the
// pages are writable already and the slots are wiped in place; otherwise they are wiped through
// the kernel's view (kmem_linux.go), and no page is opened. Where there is no such view, the
// regions that hold pending slots are opened for the moment of the wipe (doc.go, Limitations).
func (a *Arena) flushLocked() {
	if a.dirty.Load() {
		a.dirty.Store(false) // before the scan: a Free racing with it marks the arena again
	}
	var locked []*shard
	var regs []*region
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		if len(sh.pending) == 0 {
			sh.mu.Unlock()
			continue
		}
		locked = append(locked, sh)
		for _, ref := range sh.pending {
			if !slices.Contains(regs, ref.s.r) {
				regs = append(regs, ref.s.r)
			}
		}
	}
	if len(locked) == 0 {
		return
	}
	viaKernel := a.curProt != protRW && hasKernelView() && a.cfg.backing != SecretMem
	opened := a.curProt != protRW && !viaKernel
	if opened {
		for _, r := range regs {
			mustProtect(r.mem, protRW)
		}
	}
	if hold != nil {
		hold("flush")
	}
	var large []*slab
	var errs []error
	for _, sh := range locked {
		l, e := a.wipePending(sh, viaKernel)
		large, errs = append(large, l...), append(errs, e...)
		sh.mu.Unlock()
	}
	if opened {
		for _, r := range regs {
			mustProtect(r.mem, a.curProt)
		}
	}
	a.settle(large, errs)
}

// protectAll sets the protection of every region (Mprotect mode; protMu held).
func (a *Arena) protectAll(prot int) {
	for _, r := range a.regs.load() {
		mustProtect(r.mem, prot)
	}
}
