package domain_test

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/seam"
	"github.com/pkeyarena/pkeyarena/internal/unix"
	"github.com/pkeyarena/pkeyarena/pkru"
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

// BenchmarkKeyMiss measures a miss: with one hardware key left to the library, two arenas of one
// region each take turns, so every Enter parks one arena and binds the other (two pkey_mprotect
// calls), next to BenchmarkPkeyMprotect, one such call on the same region size. Only the ratio
// means anything under emulation (make test-vm TESTFLAGS='-run ^$$ -bench KeyMiss|PkeyMprotect').
func BenchmarkKeyMiss(b *testing.B) {
	pkutest.RequirePKU(b)
	a1, d1 := missArena(b)
	_, d2 := missArena(b)
	release := takeAllKeysBut(b, a1)
	defer release()
	m0 := arena.Keys()
	b.ReportAllocs()
	for b.Loop() {
		d1.Enter().Exit()
		d2.Enter().Exit()
	}
	m := arena.Keys()
	b.ReportMetric(float64(m.Misses-m0.Misses)/float64(b.N), "misses/op")
	b.ReportMetric(float64((m.RetagTime-m0.RetagTime).Nanoseconds())/float64(m.Retags-m0.Retags), "ns/retag")
}

// BenchmarkPkeyMprotect is one pkey_mprotect of a 64 KiB region, populated and locked like an
// arena's, alternating two keys.
func BenchmarkPkeyMprotect(b *testing.B) {
	pkutest.RequirePKU(b)
	mem := pkutest.MapPages(b, 16)
	for i := range mem {
		mem[i] = 1
	}
	if err := unix.Mlock(mem); err != nil {
		b.Fatal(err)
	}
	k1, err := pkru.Alloc(pkru.NoAccess)
	if err != nil {
		b.Fatal(err)
	}
	defer k1.Free()
	k2, err := pkru.Alloc(pkru.NoAccess)
	if err != nil {
		b.Fatal(err)
	}
	defer k2.Free()
	for i := 0; b.Loop(); i++ {
		k := k1
		if i%2 == 1 {
			k = k2
		}
		if err := pkru.Protect(mem, unix.PROT_READ|unix.PROT_WRITE, k); err != nil {
			b.Fatal(err)
		}
	}
}

// missArena is an arena with one 64 KiB region and a domain over it.
func missArena(b *testing.B) (*arena.Arena, *domain.Domain) {
	a := arenatest.NewArena(b)
	arenatest.MustAlloc(b, a, 60<<10)
	d, err := domain.New(domain.ReadWrite(a))
	if err != nil {
		b.Fatal(err)
	}
	return a, d
}

// takeAllKeysBut leaves the library only the key a holds: every other key the library holds is
// given to dedicated arenas, and the kernel's are taken.
func takeAllKeysBut(b *testing.B, a *arena.Arena) (release func()) {
	seam.Of(a).PinKey(arena.KeyWait, nil)
	var held []*arena.Arena
	for {
		x, err := arena.NewArena(arena.DedicatedKey())
		if err != nil {
			break
		}
		held = append(held, x)
	}
	seam.Of(a).UnpinKey()
	return func() {
		for _, x := range held {
			x.Close()
		}
	}
}
