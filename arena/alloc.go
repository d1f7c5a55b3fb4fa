package arena

import (
	"fmt"
	"math"
)

// maxAlloc bounds a single allocation: 16 GiB, or 1 GiB where int has 32 bits.
const maxAlloc = min(1<<34, math.MaxInt/2+1)

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

// handOut marks slot ref as allocated with length n and returns its bytes (owner's lock held).
func (a *Arena) handOut(ref slotRef, n int) []byte {
	s := ref.s
	bit := uint64(1) << (ref.i % 64)
	if s.live[ref.i/64]&bit != 0 {
		panic(fmt.Sprintf("arena %q: internal error: slot %d of a %d-byte slab handed out twice",
			a.cfg.name, ref.i, s.size))
	}
	s.live[ref.i/64] |= bit
	s.lens[ref.i] = int64(n)
	off := s.first + ref.i*s.stride
	return s.r.mem.bytes()[off : off+n : off+n]
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

// Free returns b to the arena. b must be exactly a slice returned by Alloc (same start and
// length); anything else, and a second Free, returns ErrNotAllocated and changes nothing.
//
// The bytes stay protected and are wiped, and their canaries checked, in a batch: always before
// the slot is reused, the next time a domain that grants the arena is entered, at Check and
// Close, and once a shard holds PendingBytesPKU (PKU mode; when a key can be had without
// waiting) or PendingBytesMprotect (Mprotect mode) of them, whichever comes first. A canary
// found overwritten then is reported by the next Check or Close (ErrCorrupted). Batching is
// what keeps Free free of key switches and system calls.
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
		return fmt.Errorf("arena %q: Free(%#x, %d bytes): %w",
			a.cfg.name, addr, len(b), ErrNotAllocated)
	}
	sh := s.owner
	sh.mu.Lock()
	if a.closed.Load() {
		sh.mu.Unlock()
		return fmt.Errorf("arena %q: %w", a.cfg.name, ErrClosed)
	}
	if s.lens[i] != int64(len(b)) || cap(b) != len(b) {
		sh.mu.Unlock()
		return fmt.Errorf("arena %q: Free(%#x, %d bytes): %w",
			a.cfg.name, addr, len(b), ErrNotAllocated)
	}
	bit := uint64(1) << (i % 64)
	if s.live[i/64]&bit == 0 {
		sh.mu.Unlock()
		return fmt.Errorf("arena %q: Free(%#x, %d bytes) of memory already freed: %w",
			a.cfg.name, addr, len(b), ErrNotAllocated)
	}
	s.live[i/64] &^= bit
	sh.frees++
	sh.objects--
	sh.inUse -= int64(len(b))
	sh.pending = append(sh.pending, slotRef{s, i})
	sh.pendingBytes += s.size
	full := sh.pendingBytes > a.pendingMax()
	sh.mu.Unlock()
	a.markDirty()
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
		return min(a.cfg.pendingMax, PendingBytesPKU)
	}
	return a.cfg.pendingMax
}
