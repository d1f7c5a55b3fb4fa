package domain_test

import (
	"runtime"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// BenchmarkLockOSThread is the floor of any per-thread domain switch.
func BenchmarkLockOSThread(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		runtime.LockOSThread()
		runtime.UnlockOSThread()
	}
}

// BenchmarkEnterExit measures Enter+Exit of a one-arena domain in the process's mode: PKU on
// hardware with keys (never meaningful under emulation), Mprotect elsewhere. The arena's key is
// virtual and bound: Enter pins it.
func BenchmarkEnterExit(b *testing.B) { benchEnterExit(b) }

// BenchmarkEnterExitDedicated is BenchmarkEnterExit over an arena with a dedicated key: nothing
// is pinned (the cost without key virtualisation).
func BenchmarkEnterExitDedicated(b *testing.B) { benchEnterExit(b, arena.DedicatedKey()) }

func benchEnterExit(b *testing.B, opts ...arena.Option) {
	d := benchDomain(b, opts...)
	b.ReportAllocs()
	for b.Loop() {
		d.Enter().Exit()
	}
}

// BenchmarkEnterExitParallel is BenchmarkEnterExit from GOMAXPROCS goroutines entering the one
// domain at once; compare -cpu 1,2 for the scaling figure (ns/op is wall time per Enter+Exit
// across all goroutines).
func BenchmarkEnterExitParallel(b *testing.B) { benchEnterExitParallel(b) }

// BenchmarkEnterExitDedicatedParallel is BenchmarkEnterExitParallel over a dedicated key.
func BenchmarkEnterExitDedicatedParallel(b *testing.B) {
	benchEnterExitParallel(b, arena.DedicatedKey())
}

func benchEnterExitParallel(b *testing.B, opts ...arena.Option) {
	d := benchDomain(b, opts...)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d.Enter().Exit()
		}
	})
}

// benchDomain is a read-write domain over one arena with its first region mapped, for the
// Enter+Exit benchmarks (skipped under emulated PKU).
func benchDomain(b *testing.B, opts ...arena.Option) *domain.Domain {
	if pkutest.InVM() {
		b.Skip("timings under emulated PKU are meaningless")
	}
	a, err := arena.NewArena(opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	if _, err := a.Alloc(32); err != nil { // map the first region
		b.Fatal(err)
	}
	d, err := domain.New(domain.ReadWrite(a))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("mode: %v", d.Mode())
	return d
}

// BenchmarkRegisterFloor is the floor of a per-thread switch on PKU hardware: one read of the
// rights register and two writes (in, and back out), which Enter+Exit cannot do without.
func BenchmarkRegisterFloor(b *testing.B) {
	pkutest.RequirePKU(b)
	if pkutest.InVM() {
		b.Skip("timings under emulated PKU are meaningless")
	}
	runtime.LockOSThread() // the register is the thread's
	defer runtime.UnlockOSThread()
	for b.Loop() {
		r := pkru.Read()
		pkru.Write(r.With(1, pkru.ReadWrite))
		pkru.Write(r)
	}
}

// BenchmarkSwitchFloor is the floor of a switch that keeps Enter+Exit's guarantees: the goroutine
// locked to its thread while inside (the register is the thread's), the register read before the
// write in (to restore it), and read again before the write out (Exit's check of what Enter wrote,
// and the bits of other code's keys, which Exit leaves as they are). Enter+Exit minus this is
// what the library's bookkeeping costs.
func BenchmarkSwitchFloor(b *testing.B) {
	pkutest.RequirePKU(b)
	if pkutest.InVM() {
		b.Skip("timings under emulated PKU are meaningless")
	}
	for b.Loop() {
		runtime.LockOSThread()
		saved := pkru.Read()
		wrote := saved.With(1, pkru.ReadWrite)
		pkru.Write(wrote)
		if pkru.Read() != wrote {
			b.Fatal("the register does not hold what was written")
		}
		pkru.Write(saved)
		runtime.UnlockOSThread()
	}
}

// BenchmarkDo is Enter+Exit through Do with a closure that captures a variable.
func BenchmarkDo(b *testing.B) {
	if pkutest.InVM() {
		b.Skip("timings under emulated PKU are meaningless")
	}
	a, err := arena.NewArena()
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	s, err := a.Alloc(32)
	if err != nil {
		b.Fatal(err)
	}
	d, _ := domain.New(domain.ReadWrite(a))
	b.ReportAllocs()
	for b.Loop() {
		d.Do(func() error { s[0]++; return nil })
	}
}
