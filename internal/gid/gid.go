// Package gid identifies the running goroutine cheaply: for package domain's check that each
// Token is exited on the goroutine that entered it, innermost first, and for package secrets'
// refusal of a Destroy inside a Use of the same Secret.
package gid

import (
	"runtime"
	"strconv"
	"strings"
	"unsafe"
)

// Current returns an identifier of the calling goroutine that no other goroutine of the process
// has had or will have: its goroutine ID, as tracebacks print it, read from the goroutine's
// runtime descriptor. One exception is the runtime's: a callback from a thread that C created
// runs on a goroutine the runtime keeps for such threads, which the thread keeps while it lives
// and which, ID included, may go to the next C thread once it ends (TestCallbacksFromCThreads).
// Where the ID cannot be found in the descriptor (a runtime whose layout the
// calibration below does not recognise: Unique reports false, and the tests fail) it is the
// descriptor's address, which the runtime gives to a new goroutine once this one ends. It is 0
// where the platform gives neither (gid_other.go).
func Current() uintptr {
	g := current()
	if g == nil {
		return 0
	}
	if goidOffset != 0 {
		return uintptr(*(*uint64)(unsafe.Add(g, goidOffset)))
	}
	return uintptr(g)
}

// Unique reports whether Current's identifiers are goroutine IDs, never reused.
func Unique() bool { return goidOffset != 0 }

// Descriptor returns the address of the calling goroutine's runtime descriptor, or 0: for tests
// of what happens when the runtime reuses one.
func Descriptor() uintptr { return uintptr(current()) }

// goidOffset is where a goroutine's descriptor holds its ID (0: not found).
var goidOffset = findGoidOffset()

// descriptorScan bounds the search: the runtime's descriptor is larger, and its ID lies well
// inside (152 bytes in on 64-bit Go 1.26).
const descriptorScan = 256

// findGoidOffset looks for the one word-aligned offset at which the descriptors of several
// goroutines all hold their own IDs as runtime.Stack prints them. Any other outcome (no such
// offset, or more than one) gives 0, and Current falls back to the descriptor's address.
func findGoidOffset() uintptr {
	if current() == nil || unsafe.Sizeof(uintptr(0)) != 8 {
		return 0
	}
	var offsets []uintptr
	for off := uintptr(8); off < descriptorScan; off += 8 {
		offsets = append(offsets, off)
	}
	keep := func() {
		id, g := stackID(), current()
		kept := offsets[:0]
		for _, off := range offsets {
			if id != 0 && *(*uint64)(unsafe.Add(g, off)) == id {
				kept = append(kept, off)
			}
		}
		offsets = kept
	}
	keep()
	for range 4 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			keep()
		}()
		<-done
	}
	if len(offsets) != 1 {
		return 0
	}
	return offsets[0]
}

// stackID returns the calling goroutine's ID from the first line of its traceback
// ("goroutine 18 [running]:"), or 0.
func stackID() uint64 {
	var buf [64]byte
	line := string(buf[:runtime.Stack(buf[:], false)])
	line, _, _ = strings.Cut(strings.TrimPrefix(line, "goroutine "), " ")
	id, err := strconv.ParseUint(line, 10, 64)
	if err != nil {
		return 0
	}
	return id
}

// goldenRatio64 is 2^64 divided by the golden ratio: multiplying by it spreads identifiers (IDs
// in sequence, or aligned addresses) evenly over the high bits (Fibonacci hashing).
const goldenRatio64 = 0x9E3779B97F4A7C15

// Slot maps identifier g to one of 2^bits slots (bits between 1 and 63), for tables indexed by
// goroutine.
func Slot(g uintptr, bits uint) uint {
	return uint(uint64(g) * goldenRatio64 >> (64 - bits))
}
