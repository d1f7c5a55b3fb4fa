package pkutest

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/unix"
)

// MapPages maps n private anonymous read-write pages, unmapped when the test ends.
func MapPages(tb testing.TB, n int) []byte {
	tb.Helper()
	b, err := unix.Mmap(-1, 0, n*unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		tb.Fatalf("mmap %d pages: %v", n, err)
	}
	tb.Cleanup(func() {
		if err := unix.Munmap(b); err != nil {
			tb.Errorf("munmap: %v", err)
		}
	})
	return b
}
