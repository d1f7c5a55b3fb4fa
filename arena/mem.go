package arena

import "unsafe"

// This file holds the package's uses of unsafe: turning slices into addresses for lookups, and
// arena bytes into typed values for New and MakeSlice.

// span is a run of arena memory held as a pointer and a length rather than a slice, so that
// code walking the arena's fields by reflection (a deep dump of a struct that refers to an
// Arena) finds no []byte to print, and never reads or faults on protected bytes.
type span struct {
	p unsafe.Pointer
	n int
}

func spanOf(b []byte) span { return span{unsafe.Pointer(unsafe.SliceData(b)), len(b)} }

// bytes returns the memory as a slice, for the arena's own code.
func (s span) bytes() []byte { return unsafe.Slice((*byte)(s.p), s.n) }

// addrOf returns the address of b's first byte (b must not be empty).
func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// stackHint returns a number that differs between goroutines (their stacks lie apart) and stays
// put for one goroutine: a cheap shard choice without a shared counter.
//
//go:noinline
func stackHint() uintptr {
	var x byte
	return uintptr(unsafe.Pointer(&x))
}

// typed views of arena bytes; the caller has checked size and alignment.
func pointerTo[T any](b []byte) *T { return (*T)(unsafe.Pointer(unsafe.SliceData(b))) }

func sliceOf[T any](b []byte, n int) []T {
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// bytesOf returns the bytes behind p or s, for FreeValue and FreeSlice.
func bytesOfPointer[T any](p *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p))
}

func bytesOfSlice[T any](s []T) []byte {
	var zero T
	n := uintptr(cap(s)) * unsafe.Sizeof(zero)
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), n)
}
