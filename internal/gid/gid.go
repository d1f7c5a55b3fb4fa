// Package gid identifies the running goroutine cheaply: for package domain's check that each
// Token is exited on the goroutine that entered it, innermost first, and for package secrets'
// refusal of a Destroy inside a Use of the same Secret.
package gid

// Current returns an identifier of the calling goroutine, unique among running goroutines (the
// address of its runtime descriptor, which the runtime may reuse once the goroutine ends), or 0
// where the platform gives none (gid_other.go).
func Current() uintptr { return current() }

// goldenRatio64 is 2^64 divided by the golden ratio: multiplying by it spreads aligned addresses
// evenly over the high bits (Fibonacci hashing).
const goldenRatio64 = 0x9E3779B97F4A7C15

// Slot maps identifier g to one of 2^bits slots (bits between 1 and 63), for tables indexed by
// goroutine.
func Slot(g uintptr, bits uint) uint {
	return uint(uint64(g) * goldenRatio64 >> (64 - bits))
}
