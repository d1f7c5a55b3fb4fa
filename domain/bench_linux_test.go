package domain_test

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/unix"
)

// BenchmarkMprotectPair is the yardstick: one mprotect opening and one closing a region of the
// size of an arena's first region (64 KiB), what Mprotect-mode Enter+Exit must do.
func BenchmarkMprotectPair(b *testing.B) {
	mem, err := unix.Mmap(-1, 0, 64<<10, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Munmap(mem)
	b.ReportAllocs()
	for b.Loop() {
		if err := unix.Mprotect(mem, unix.PROT_READ|unix.PROT_WRITE); err != nil {
			b.Fatal(err)
		}
		if err := unix.Mprotect(mem, unix.PROT_NONE); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMprotectPairLocked is the same pair on a region like an arena's: 64 KiB, touched and
// mlocked. This is the fair yardstick for Mprotect-mode Enter+Exit ("the same region").
func BenchmarkMprotectPairLocked(b *testing.B) {
	mem, err := unix.Mmap(-1, 0, 64<<10, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Munmap(mem)
	for i := range mem {
		mem[i] = 1
	}
	if err := unix.Mlock(mem); err != nil {
		b.Fatal(err)
	}
	if err := unix.Mprotect(mem, unix.PROT_NONE); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := unix.Mprotect(mem, unix.PROT_READ|unix.PROT_WRITE); err != nil {
			b.Fatal(err)
		}
		if err := unix.Mprotect(mem, unix.PROT_NONE); err != nil {
			b.Fatal(err)
		}
	}
}
