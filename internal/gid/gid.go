// Package gid identifies the running goroutine and its thread cheaply: the thread for package
// domain's check that each Token is exited by the goroutine that entered it, innermost first (a
// goroutine inside a domain is locked to its thread, alone), and for spreading an arena's pin
// counters; the goroutine for package secrets' refusal of a Destroy inside a Use of the same Secret.
package gid

// Current returns an identifier of the calling goroutine, unique among running goroutines (the
// address of its runtime descriptor, which the runtime may reuse once the goroutine ends), or 0
// where the platform gives none (gid_other.go).
func Current() uintptr { return current() }

// Thread returns an identifier of the operating-system thread running the calling goroutine: the
// address of the runtime's descriptor of that thread, or 0 where the platform gives none. It
// names the same thread for as long as the goroutine is locked to it (runtime.LockOSThread), and
// no goroutine but the locked one runs there meanwhile; an unlocked goroutine may be on another
// thread by the time it uses the answer. The runtime may reuse the descriptor of a thread that
// ended.
//
// The descriptor is the runtime's g.m field, read at the offset the toolchain itself relies on;
// init checks the layout (the thread's scheduling goroutine must name the same thread) and gives
// 0 everywhere if it does not hold.
func Thread() uintptr {
	if !threadOK {
		return 0
	}
	return thread()
}

var threadOK = func() bool {
	m, g0m := threadCheck()
	return m != 0 && g0m == m
}()

// goldenRatio64 is 2^64 divided by the golden ratio: multiplying by it spreads aligned addresses
// evenly over the high bits (Fibonacci hashing).
const goldenRatio64 = 0x9E3779B97F4A7C15

// Slot maps identifier g to one of 2^bits slots (bits between 1 and 63), for tables indexed by
// goroutine.
func Slot(g uintptr, bits uint) uint {
	return uint(uint64(g) * goldenRatio64 >> (64 - bits))
}
