package arena_test

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
)

var heapSink []byte

// BenchmarkHeapMake32 is the yardstick: a 32-byte slice that escapes to the Go heap.
func BenchmarkHeapMake32(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		heapSink = make([]byte, 32)
	}
}

func benchAllocFree(b *testing.B, n int, opts ...arena.Option) {
	a := newArena(b, opts...)
	b.ReportAllocs()
	for b.Loop() {
		s, err := a.Alloc(n)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Free(s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(a.Stats().Flushes), "flushes")
}

func BenchmarkAllocFree32(b *testing.B)   { benchAllocFree(b, 32) }
func BenchmarkAllocFree256(b *testing.B)  { benchAllocFree(b, 256) }
func BenchmarkAllocFree4096(b *testing.B) { benchAllocFree(b, 4096) }

// BenchmarkAllocFree32Dedicated: Free pins nothing when the arena's key is dedicated.
func BenchmarkAllocFree32Dedicated(b *testing.B) { benchAllocFree(b, 32, arena.DedicatedKey()) }

// BenchmarkAllocFree32Parallel runs Alloc+Free from GOMAXPROCS goroutines; compare -cpu 1,2 for
// the scaling figure (ns/op is wall time per operation across all goroutines).
func BenchmarkAllocFree32Parallel(b *testing.B) {
	a := newArena(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s, err := a.Alloc(32)
			if err != nil {
				b.Error(err)
				return
			}
			if err := a.Free(s); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
