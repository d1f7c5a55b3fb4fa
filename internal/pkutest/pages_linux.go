package pkutest

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/unix"
)

// MapPages maps n private anonymous read-write pages, unmapped when the test ends.
func MapPages(tb testing.TB, n int) []byte {
	tb.Helper()
	b, err := unix.Mmap(-1, 0, n*unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
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

// Pipe returns a pipe's read and write ends, closed when the test ends.
func Pipe(tb testing.TB) (r, w int) {
	tb.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], 0); err != nil {
		tb.Fatalf("pipe2: %v", err)
	}
	tb.Cleanup(func() {
		unix.Close(p[0])
		unix.Close(p[1])
	})
	return p[0], p[1]
}
