// These tests read freed heap memory and dead stack frames, which the race detector and the
// sanitizers forbid, as runtime/secret's own tests do.

//go:build linux && (amd64 || arm64) && !race && !asan && !msan

package domain_test

import (
	"runtime"
	"testing"
	"unsafe"
	"weak"

	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
)

// sentinel fills the arena secret that the tests copy out of the arena.
const sentinel = 0x53c23753c23753c2

// blob is a heap copy of a secret, of a size class little else in a test binary uses, so that
// its freed slots are not handed out again before the test reads them.
type blob [3000 / 8]uint64

//go:noinline
func newBlob(src []uint64) *blob {
	b := new(blob)
	for i := range b {
		b[i] = src[i%len(src)]
	}
	return b
}

// stackCopy leaves copies of src in a dead stack frame and reports where.
//
//go:noinline
func stackCopy(src []uint64, at *uintptr) {
	var buf [512]uint64
	for i := range buf {
		buf[i] = src[i%len(src)]
	}
	*at = uintptr(unsafe.Pointer(&buf))
	keepFrame(&buf)
}

//go:noinline
func keepFrame(*[512]uint64) {}

// deeper runs fn below a frame of padding, so that what runs after fn returns (Exit, the
// checks) writes over none of fn's frames.
//
//go:noinline
func deeper(fn func()) {
	var pad [256]uint64
	keepPad(&pad)
	fn()
}

//go:noinline
func keepPad(*[256]uint64) {}

// sentinels counts the words equal to sentinel in n bytes at addr, memory the program no longer
// references (so the checkptr instrumentation, which refuses pointers into freed objects, is off).
//
//go:nocheckptr
func sentinels(addr uintptr, n int) int {
	words := unsafe.Slice((*uint64)(unsafe.Add(unsafe.Pointer(nil), addr)), n/8)
	c := 0
	for _, w := range words {
		if w == sentinel {
			c++
		}
	}
	return c
}

// run is Do or DoSecret.
type run func(d *domain.Domain, fn func() error) error

var runs = []struct {
	name   string
	run    run
	erased bool
}{
	{"Do", (*domain.Domain).Do, false},
	{"DoSecret", (*domain.Domain).DoSecret, erasureBuilt},
}

// Heap copies made inside DoSecret read as zeros once collected; made inside Do, the same check
// finds them, so it can fail.
func TestDoSecretErasesHeap(t *testing.T) {
	for _, tc := range runs {
		t.Run(tc.name, func(t *testing.T) {
			a := newArena(t, "heap")
			key := unsafe.Slice((*uint64)(unsafe.Pointer(&alloc(t, a, 64)[0])), 8)
			d := newDomain(t, domain.ReadWrite(a))
			d.Do(func() error {
				for i := range key {
					key[i] = sentinel
				}
				return nil
			})
			// Every other copy stays reachable, so that no span empties and goes back to the
			// heap, where its pages could be released or reused before they are read.
			const n = 32
			var addrs [n]uintptr // the caller's memory: not erased
			var ptrs [n]weak.Pointer[blob]
			var keep [n]*blob
			tc.run(d, func() error {
				for i := range n {
					keep[i] = newBlob(key)
					b := newBlob(key)
					addrs[i], ptrs[i] = uintptr(unsafe.Pointer(b)), weak.Make(b)
				}
				return nil
			})
			pkutest.CollectAll(t, ptrs[:])
			intact := 0
			for _, addr := range addrs {
				if sentinels(addr, int(unsafe.Sizeof(blob{}))) > 0 {
					intact++
				}
			}
			if tc.erased && intact > 0 {
				t.Errorf("%d of %d collected heap copies still hold the secret", intact, n)
			}
			if !tc.erased && intact == 0 {
				t.Errorf("no collected heap copy holds the secret without erasure: " +
					"the check cannot see a leak")
			}
			t.Logf("%d of %d collected heap copies hold the secret", intact, n)
			runtime.KeepAlive(&keep)
		})
	}
}

// The stack frames fn used read as zeros after DoSecret; after Do they keep the secret.
func TestDoSecretErasesStack(t *testing.T) {
	for _, tc := range runs {
		t.Run(tc.name, func(t *testing.T) {
			a := newArena(t, "stack")
			key := unsafe.Slice((*uint64)(unsafe.Pointer(&alloc(t, a, 64)[0])), 8)
			d := newDomain(t, domain.ReadWrite(a))
			d.Do(func() error {
				for i := range key {
					key[i] = sentinel
				}
				return nil
			})
			var at uintptr
			tc.run(d, func() error {
				deeper(func() { stackCopy(key, &at) })
				return nil
			})
			left := sentinels(at, 512*8) // no call in between: the dead frame is as fn left it
			if tc.erased && left > 0 {
				t.Errorf("%d words of the secret left in fn's stack frame", left)
			}
			if !tc.erased && left == 0 {
				t.Errorf("fn's dead stack frame holds no secret without erasure: " +
					"the check cannot see a leak")
			}
			t.Logf("%d of 512 words of fn's dead stack frame hold the secret", left)
		})
	}
}
