package arena

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"
)

// Batched wipes of pending frees. In PKU mode each shard's batch is wiped by the thread that
// finds it, through its own register (wipeShard, wipeAll); in Mprotect mode one flush wipes every
// shard's under protMu, through the kernel's view while the pages are closed (flush). Either way
// the wiped slots go back to their shard's ready lists and the corruption found waits for Check.

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
	a.finishBatch(large, errs)
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

// finishBatch finishes a batch of wipes: large objects' pages go back to their regions, corruption
// is kept for the next Check or Close (it belongs to objects freed earlier, not to the caller).
func (a *Arena) finishBatch(large []*slab, errs []error) {
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

// Wipe states (Arena.wipeState).
const (
	wsDirty  = 1 << iota // a Free left slots pending since the last wipe of all shards
	wsWiping             // wipeAll is wiping every shard
)

// clean reports whether every Free so far has been wiped: no Free since the last wipeAll, and no
// wipeAll under way (which may not have reached the shard of an earlier Free yet).
func (a *Arena) clean() bool { return a.wipeState.Load() == 0 }

// dirty reports whether a Free happened since the last wipe of all shards began.
func (a *Arena) dirty() bool { return a.wipeState.Load()&wsDirty != 0 }

// markDirty is Free's mark, after its slot is in its shard's pending list: the next Enter, Check
// or Close wipes every shard.
func (a *Arena) markDirty() {
	if a.wipeState.Load()&wsDirty == 0 {
		a.wipeState.Or(wsDirty)
	}
}

// wipeAll wipes every shard's pending frees in PKU mode if any Free happened since the last
// time, and returns once every Free that marked the arena before the call is wiped, also when
// another goroutine's wipeAll is doing it. (Mprotect mode's equivalent is flush.)
//
// The mark is cleared before the scan, so that a Free racing with it marks the arena again, and
// wsWiping is set first and cleared after the scan, so that an Enter that finds the mark cleared
// still waits for the scan: it comes here and waits on wipeMu.
func (a *Arena) wipeAll() error {
	if a.clean() {
		return nil
	}
	a.wipeMu.Lock()
	defer a.wipeMu.Unlock()
	if !a.dirty() { // a wipeAll that held wipeMu did the work
		return nil
	}
	a.wipeState.Or(wsWiping)
	a.wipeState.And(^uint32(wsDirty))
	defer a.wipeState.And(^uint32(wsWiping))
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		n := len(sh.pending)
		sh.mu.Unlock()
		if n > 0 {
			if err := a.wipeShard(sh, true); err != nil {
				a.wipeState.Or(wsDirty)
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
		m := r.mem.bytes()[off-canarySize : off+s.size+canarySize]
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
			err = fmt.Errorf("arena %q: object at %#x (%d-byte slot): written %v: %w",
				a.cfg.name, r.base+uintptr(off), s.size, where, ErrCorrupted)
		}
	}
	if s.class < 0 {
		zeroRun(r, r.mem.bytes()[s.off:s.off+s.pages*pageSize]) // the whole run, canaries included
		return err
	}
	clear(r.mem.bytes()[off : off+s.size])
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
	if a.dirty() { // protMu serialises flushes with opens: no Enter waits on wsWiping here
		a.wipeState.And(^uint32(wsDirty)) // before the scan: a Free racing with it marks it again
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
			mustProtect(r.mem.bytes(), protRW)
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
			mustProtect(r.mem.bytes(), a.curProt)
		}
	}
	a.finishBatch(large, errs)
}
