// This test reads freed heap memory, which the race detector and the sanitizers forbid.

//go:build linux && (amd64 || arm64) && !race && !asan && !msan

package secrets_test

import (
	"runtime"
	"strings"
	"testing"
	"unsafe"
	"weak"

	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
)

// heapCopy is a copy of a secret in the Go heap, of a size class little else here uses.
type heapCopy [2000]byte

//go:noinline
func copyOut(b []byte) *heapCopy {
	c := new(heapCopy)
	for i := 0; i < len(c); i += copy(c[i:], b) {
	}
	return c
}

// Heap copies made inside Use are erased once collected where the build erases; a plain domain
// visit over the same arena, the control, leaves them, so the check can fail.
func TestUseErasesHeapCopies(t *testing.T) {
	st, a := newStore(t)
	const planted = "planted secret, found in the heap only if not erased"
	s := mustFromBytes(t, st, planted)
	plain, err := domain.New(domain.ReadOnly(a))
	if err != nil {
		t.Fatal(err)
	}
	held := holdSlice(t, s)
	for _, tc := range []struct {
		name   string
		visit  func(fn func([]byte)) error
		erased bool
	}{
		{"domain.Do", func(fn func([]byte)) error {
			return plain.Do(func() error { fn(held); return nil })
		}, false},
		{"Use", func(fn func([]byte)) error {
			return s.UseReadOnly(func(b []byte) error { fn(b); return nil })
		}, domain.SecretErasureAvailable()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 16
			var addrs [n]uintptr
			var ptrs [n]weak.Pointer[heapCopy]
			var keep [n]*heapCopy // every other copy stays, so no span empties and is reused
			tc.visit(func(b []byte) {
				for i := range n {
					keep[i] = copyOut(b)
					c := copyOut(b)
					addrs[i], ptrs[i] = uintptr(unsafe.Pointer(c)), weak.Make(c)
				}
			})
			pkutest.CollectAll(t, ptrs[:])
			found := 0
			for _, addr := range addrs {
				if freedHolds(addr, len(heapCopy{}), planted) {
					found++
				}
			}
			if tc.erased && found > 0 {
				t.Errorf("%d of %d collected copies still hold the secret", found, n)
			}
			if !tc.erased && found == 0 {
				t.Error("no collected copy holds the secret without erasure: the check is blind")
			}
			runtime.KeepAlive(&keep)
		})
	}
}

// freedHolds reports whether the n bytes at addr, memory the program no longer references, hold
// planted (so the checkptr instrumentation, which refuses pointers into freed objects, is off).
//
//go:nocheckptr
func freedHolds(addr uintptr, n int, planted string) bool {
	mem := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), addr)), n)
	return strings.Contains(string(mem), planted)
}
