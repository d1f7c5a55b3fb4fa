package domain_test

import (
	"runtime"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
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
	if pkutest.InVM() {
		b.Skip("timings under emulated PKU are meaningless")
	}
	a, err := arena.NewArena(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Alloc(32); err != nil { // map the first region
		b.Fatal(err)
	}
	d, err := domain.New(domain.ReadWrite(a))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d.Enter().Exit()
	}
	b.Logf("mode: %v", d.Mode())
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
