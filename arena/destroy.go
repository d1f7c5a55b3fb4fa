package arena

import (
	"encoding/binary"
	"fmt"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// The final wipe, for Close and the cleanup backstop. It opens nothing to other threads: with a
// bound key (PKU mode) the pages are granted to the calling thread only; otherwise (Mprotect
// mode, a parked arena, the backstop) the bytes are checked and wiped through the kernel's view
// (kmem_linux.go) and the pages keep their protection until they are unmapped.

// hold, when set by tests, runs in the middle of each operation on protected bytes (op names
// it), after the pages were opened for the operation and before its work: the place where a
// transition could open live secrets to other threads.
var hold func(op string)

// destroy checks the canaries of pending frees and wipes every page in use (Close; the arena is
// closed and every lock is held). It returns the corruption found.
func (a *Arena) destroy() []error {
	var errs []error
	if k, ok := a.boundKey(); ok {
		saved := a.grantThread(k)
		for i := range a.shards {
			for _, ref := range a.shards[i].pending {
				if err := a.wipeSlot(ref); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if hold != nil {
			hold("close")
		}
		for _, e := range a.regs.Entries() {
			r := e.Value
			forUsedRuns(r, func(off, n int) { zeroRun(r, r.mem.bytes()[off:off+n]) })
			a.showBeforeUnmap(r, true)
		}
		revokeThread(saved)
		return errs
	}
	for i := range a.shards {
		for _, ref := range a.shards[i].pending {
			if err := a.checkFromKernel(ref, &a.shards[i].scratch); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if hold != nil {
		hold("close")
	}
	for _, e := range a.regs.Entries() {
		r := e.Value
		if err := wipeRegion(r); err != nil {
			errs = append(errs, fmt.Errorf("arena %q: %w", a.cfg.name, err))
		}
		a.showBeforeUnmap(r, false)
	}
	return errs
}

// boundKey returns the arena's hardware key when the calling thread can be granted it (PKU mode,
// the key still bound).
func (a *Arena) boundKey() (pkru.Key, bool) {
	if a.vk == nil {
		return 0, false
	}
	return a.vk.key()
}

// wipeRegion wipes r's pages in use without changing their protection: small runs through the
// kernel's view, large runs (and all where there is no view) by discarding them. Secret memory has
// no kernel view, and the kernel zeroes its pages itself when the region is unmapped.
func wipeRegion(r *region) error {
	if r.secret {
		return nil
	}
	var err error
	forUsedRuns(r, func(off, n int) {
		if err != nil {
			return
		}
		if n >= discardBytes { // cheaper to drop than to write, and commits nothing
			if dropPages(r.mem.bytes()[off:off+n], r.locked) != nil {
				err = discardPages(r.mem.bytes()[off : off+n])
			}
			return
		}
		if kernelZero(r.base+uintptr(off), n) != nil {
			err = discardPages(r.mem.bytes()[off : off+n])
		}
	})
	return err
}

// discardBytes: runs of pages from this size on are discarded (private anonymous pages read back
// as zeros) rather than written with zeros.
const discardBytes = 64 << 10

// forUsedRuns calls f for each run of pages of r that holds or held objects (byte offset and
// length). Pages never handed out hold nothing, and are not touched (nor committed).
func forUsedRuns(r *region, f func(off, n int)) {
	for p := 0; p < len(r.used); {
		if !r.used[p] {
			p++
			continue
		}
		q := p
		for q < len(r.used) && r.used[q] {
			q++
		}
		f(p*pageSize, (q-p)*pageSize)
		p = q
	}
}

// showBeforeUnmap hands the test hook a copy of r's bytes (direct when the thread has them open,
// through the kernel's view otherwise).
func (a *Arena) showBeforeUnmap(r *region, open bool) {
	if beforeUnmap == nil {
		return
	}
	buf := make([]byte, r.mem.n)
	if open {
		copy(buf, r.mem.bytes())
	} else if err := kernelRead(buf, r.base); err != nil {
		panic(fmt.Sprintf("arena: test hook cannot read the region: %v", err))
	}
	beforeUnmap(buf)
}

// wipeSlotFromKernel is wipeSlot through the kernel's view: the canaries are read and the slot
// zeroed without opening its pages. Should the view fail on it, the slot's pages are opened for
// the moment of an ordinary wipe (mprotect, protMu held): a slot is never made ready unwiped.
func (a *Arena) wipeSlotFromKernel(ref slotRef, buf *[canarySize]byte) error {
	err, ok := a.tryWipeSlotFromKernel(ref, buf)
	if ok {
		return err
	}
	pages := a.slotPages(ref)
	mustProtect(pages, protRW)
	err = a.wipeSlot(ref)
	mustProtect(pages, a.curProt)
	return err
}

// slotPages returns the pages that hold slot ref with its canaries (a large object's whole run).
func (a *Arena) slotPages(ref slotRef) []byte {
	s, r := ref.s, ref.s.r
	lo, hi := s.off, s.off+s.pages*pageSize
	if s.class >= 0 {
		off := s.first + ref.i*s.stride
		lo = (off - canarySize) / pageSize * pageSize
		hi = roundUp(off+s.size+canarySize, pageSize)
	}
	return r.mem.bytes()[lo:hi]
}

// tryWipeSlotFromKernel does wipeSlotFromKernel's work through the view; ok is false when the
// slot could not be zeroed that way.
func (a *Arena) tryWipeSlotFromKernel(ref slotRef, buf *[canarySize]byte) (error, bool) {
	err := a.checkFromKernel(ref, buf)
	s, r := ref.s, ref.s.r
	off := s.first + ref.i*s.stride
	if s.class < 0 {
		run := r.mem.bytes()[s.off : s.off+s.pages*pageSize] // the whole run, canaries included
		if len(run) >= discardBytes && !r.secret && dropPages(run, r.locked) == nil {
			return err, true // dropped, not written: untouched pages stay uncommitted
		}
		if kernelZero(addrOf(run), len(run)) != nil {
			return nil, false
		}
		return err, true
	}
	if kernelZero(r.base+uintptr(off), s.size) != nil {
		return nil, false
	}
	if err != nil { // restore the canaries for the slot's next user
		binary.LittleEndian.PutUint64(buf[:], a.canaryAt(r, off-canarySize))
		werr := kernelWrite(buf[:], r.base+uintptr(off-canarySize))
		binary.LittleEndian.PutUint64(buf[:], a.canaryAt(r, off+s.size))
		if werr != nil || kernelWrite(buf[:], r.base+uintptr(off+s.size)) != nil {
			return nil, false
		}
	}
	return err, true
}
