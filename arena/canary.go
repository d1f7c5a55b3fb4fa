package arena

import (
	"encoding/binary"
	"fmt"
)

// Canaries: an 8-byte word before and after every object, a hash of its address keyed by the
// arena's secret, so that a stray write cannot restore it by copying a neighbour's. Batched wipes
// and Check verify them, in place or through the kernel's view.

// goldenHash is 2^64 divided by the golden ratio, the multiplier of Fibonacci hashing: nearby
// addresses get far-apart hashes.
const goldenHash = 0x9E3779B97F4A7C15

// canaryAt is the canary at byte off of r.
func (a *Arena) canaryAt(r *region, off int) uint64 {
	return a.canary ^ uint64(r.base+uintptr(off))*goldenHash
}

// writeCanary and canaryOK write and check the canary at byte off of r (the caller has r open).
func (a *Arena) writeCanary(r *region, off int) {
	binary.LittleEndian.PutUint64(r.mem.bytes()[off:], a.canaryAt(r, off))
}

func (a *Arena) canaryOK(r *region, off int) bool {
	return binary.LittleEndian.Uint64(r.mem.bytes()[off:]) == a.canaryAt(r, off)
}

// checkFromKernel checks the canaries around a pending slot through the kernel's view, reading
// them into buf (the scratch of a shard whose lock the caller holds).
func (a *Arena) checkFromKernel(ref slotRef, buf *[canarySize]byte) error {
	if !a.cfg.canaries {
		return nil
	}
	s, r := ref.s, ref.s.r
	off := s.first + ref.i*s.stride
	var where []string
	if !a.canaryOKFromKernel(r, off-canarySize, buf) {
		where = append(where, "before its start (underflow)")
	}
	if !a.canaryOKFromKernel(r, off+s.size, buf) {
		where = append(where, "past its end (overflow)")
	}
	if where == nil {
		return nil
	}
	return fmt.Errorf("arena %q: object at %#x (%d-byte slot): written %v: %w",
		a.cfg.name, r.base+uintptr(off), s.size, where, ErrCorrupted)
}

// canaryOKFromKernel is canaryOK through the kernel's view, reading into buf. Without a view
// (SecretMem, no /proc) it reports the canary intact: Close then discards such slots unchecked
// (doc.go, Limitations).
func (a *Arena) canaryOKFromKernel(r *region, off int, buf *[canarySize]byte) bool {
	if !hasKernelView() {
		return true
	}
	if err := kernelRead(buf[:], r.base+uintptr(off)); err != nil {
		return false // the view failed on this page: report it rather than assume intact
	}
	return binary.LittleEndian.Uint64(buf[:]) == a.canaryAt(r, off)
}
