package arena

import (
	"errors"
	"fmt"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// open is the mechanism package domain composes (through internal/seam) for each grant.
//
// In Mprotect mode it makes the arena's pages readable (ReadOnly) or readable and writable
// (ReadWrite) by every thread of the process until the matching Release; opens are counted, and
// the pages get the union of the access of all current opens. Pending frees are wiped first.
// In PKU mode it only checks the arena is usable and wipes pending frees: access is per thread,
// given by writing the thread's rights register with the arena's key (see pinKey).
func (a *Arena) open(acc pkru.Access) error {
	if acc != pkru.ReadOnly && acc != pkru.ReadWrite {
		return fmt.Errorf("arena %q: Open(%v): %w", a.cfg.name, acc, pkru.ErrInvalidAccess)
	}
	if a.mode == PKU {
		if a.closed.Load() {
			return fmt.Errorf("arena %q: %w", a.cfg.name, ErrClosed)
		}
		return a.wipeAll()
	}
	a.protMu.Lock()
	defer a.protMu.Unlock()
	if a.closed.Load() {
		return fmt.Errorf("arena %q: %w", a.cfg.name, ErrClosed)
	}
	a.opens[acc]++
	if a.dirty() { // every opener, so that code inside never reads a freed object
		// The first opener wipes what was freed while closed, in place, with the pages opened
		// read-write as they are opened for it (doc.go, Limitations: for this moment they are
		// writable by every thread even for a read-only grant). A later one finds them open:
		// flushLocked wipes in place when they are writable, and through the kernel's view,
		// opening nothing, when they are read-only.
		if a.openCount() == 1 && a.curProt != protRW {
			a.protectAll(protRW)
			a.curProt = protRW
		}
		a.flushLocked()
	}
	a.applyOpens()
	return nil
}

// release undoes one open with the same access. An unmatched release panics: it would leave the
// pages open or closed under another user.
func (a *Arena) release(acc pkru.Access) {
	if a.mode == PKU {
		return
	}
	a.protMu.Lock()
	defer a.protMu.Unlock()
	if (acc != pkru.ReadOnly && acc != pkru.ReadWrite) || a.opens[acc] == 0 {
		panic(fmt.Sprintf("arena %q: Release(%v) without a matching Open", a.cfg.name, acc))
	}
	a.opens[acc]--
	if a.openCount() == 0 && a.curProt == protRW {
		a.flushLocked() // still writable: wiping now costs no system call
	}
	a.applyOpens()
}

// applyOpens gives the pages the protection the current opens ask for (protMu held).
func (a *Arena) applyOpens() {
	want := protNone
	switch {
	case a.opens[pkru.ReadWrite] > 0:
		want = protRW
	case a.opens[pkru.ReadOnly] > 0:
		want = protRead
	}
	if want != a.curProt {
		a.protectAll(want)
		a.curProt = want
	}
}

// Check wipes pending frees, verifies the canaries of every live object, and reports corruption
// found by earlier batched wipes. It returns nil or an error wrapping ErrCorrupted per object;
// in PKU mode, without a key, it may wait for one (package doc, Errors and waits).
func (a *Arena) Check() error {
	a.mustBeMade()
	if a.mode == Mprotect {
		a.protMu.Lock()
		defer a.protMu.Unlock()
		a.flushLocked()
	} else if err := a.wipeAll(); err != nil {
		return err
	}
	for i := range a.shards { // the slabs' metadata
		a.shards[i].mu.Lock()
		defer a.shards[i].mu.Unlock()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed.Load() {
		return fmt.Errorf("arena %q: %w", a.cfg.name, ErrClosed)
	}
	a.defMu.Lock()
	errs := a.deferred
	a.deferred = nil
	a.defMu.Unlock()
	if !a.cfg.canaries {
		return errors.Join(errs...)
	}
	// Mprotect mode with the pages closed: read the canaries through the kernel's view rather
	// than open the pages to every thread.
	viaKernel := a.mode == Mprotect && a.curProt != protRW && hasKernelView() &&
		a.cfg.backing != SecretMem
	undo := func() {}
	if !viaKernel {
		var err error
		if undo, err = a.openAll(); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	intact := a.canaryOK
	if viaKernel {
		buf := &a.shards[0].scratch // every shard is locked
		intact = func(r *region, off int) bool { return a.canaryOKFromKernel(r, off, buf) }
	}
	if hold != nil {
		hold("check")
	}
	for _, e := range a.regs.Entries() {
		r := e.Value
		var last *slab
		for p := range r.slabs {
			s := r.slabs[p].Load()
			if s == nil || s == last {
				continue
			}
			last = s
			for i := 0; i < s.count; i++ {
				if s.live[i/64]&(1<<(i%64)) == 0 {
					continue
				}
				off := s.first + i*s.stride
				if !intact(r, off-canarySize) || !intact(r, off+s.size) {
					errs = append(errs, fmt.Errorf("arena %q: live object at %#x (%d bytes): "+
						"canary overwritten: %w", a.cfg.name, r.base+uintptr(off), s.lens[i], ErrCorrupted))
				}
			}
		}
	}
	undo()
	return errors.Join(errs...)
}

// openAll opens every region for the caller (mu held; protMu too in Mprotect mode). In PKU mode
// it pins the key, which can fail (ErrKeysPinned).
func (a *Arena) openAll() (func(), error) {
	if a.mode == PKU {
		return a.openThread()
	}
	if a.curProt == protRW {
		return func() {}, nil
	}
	a.protectAll(protRW)
	return func() { a.protectAll(a.curProt) }, nil
}

// beforeUnmap, when set by tests, sees a copy of each region's bytes after the final wipe.
var beforeUnmap func(mem []byte)

// Close wipes all of the arena's memory, unmaps it and frees its key. Afterwards every method
// returns ErrClosed; a second Close returns nil. Close returns ErrBusy, and does nothing, while
// a domain that grants the arena is inside (Mprotect mode: the arena is open; PKU mode: its key
// is pinned, which the arena's own work on another goroutine, such as the batched wipe a Free
// or Check runs, also does for a moment: Close racing with those can report ErrBusy, and can be
// called again). With DedicatedKey it can see only the calling thread's own domains (its register
// grants the key): closing while another thread is inside is a programming error it cannot
// detect, and that thread keeps access to the key number, which the kernel may hand out again,
// until it exits. It also reports corruption still pending from batched wipes.
//
// The final wipe opens nothing to other threads (the Limitations in the package doc say how).
// Slices handed out by Alloc must not be used after Close: the pages are gone. The same holds
// once the Arena is unreachable, since a slice does not keep it alive.
func (a *Arena) Close() error {
	a.mustBeMade()
	if a.vk != nil && !a.closed.Load() {
		if err := a.vk.closeKey(); err != nil {
			return fmt.Errorf("arena %q: %w", a.cfg.name, err)
		}
	}
	if a.mode == Mprotect {
		a.protMu.Lock()
		defer a.protMu.Unlock()
		if a.openCount() > 0 {
			return fmt.Errorf("arena %q: Close while %d domains are inside: %w",
				a.cfg.name, a.openCount(), ErrBusy)
		}
	}
	for i := range a.shards {
		a.shards[i].mu.Lock()
		defer a.shards[i].mu.Unlock()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed.Load() {
		return nil
	}
	a.closed.Store(true)
	a.cleanup.Stop()

	errs := a.destroy()
	a.defMu.Lock()
	errs = append(a.deferred, errs...)
	a.deferred = nil
	a.defMu.Unlock()
	for _, e := range a.regs.Entries() {
		r := e.Value
		r.unregister()
		if err := unmapRegion(r.mapping.bytes()); err != nil {
			errs = append(errs, err)
		}
	}
	a.regs.Clear()
	a.st.reserved.Store(0)
	a.st.locked.Store(0)
	for i := range a.shards {
		sh := &a.shards[i]
		sh.ready = [numClasses]fifo{}
		sh.pending, sh.pendingBytes = nil, 0
		sh.objects, sh.inUse = 0, 0 // wiped and unmapped: no allocation is live any more
	}
	if a.vk != nil {
		if err := a.vk.release(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// openCount is the number of domains inside (Mprotect mode; protMu held).
func (a *Arena) openCount() int { return a.opens[pkru.ReadOnly] + a.opens[pkru.ReadWrite] }

// Closed reports whether Close has run. Package domain checks it on Enter, so that a domain never
// opens a key that its closed arena gave back (and that another arena may hold now).
func (a *Arena) Closed() bool { return a.closed.Load() }

// readyToEnter reports that the arena is not closed and no Free waits to be wiped. Package domain
// checks it on Enter for arenas with a dedicated key and calls open when it is false,
// so that code inside a domain never reads a freed object's bytes.
func (a *Arena) readyToEnter() bool { return a.clean() && !a.closed.Load() }
