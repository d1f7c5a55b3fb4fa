package arena_test

import (
	"sync"
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

// floorLocks stand for two shards' locks, each on its own cache line as in the arena.
var floorLocks [2]struct {
	sync.Mutex
	n int // a word written under the lock, as Alloc and Free write their shard's lists
	_ [48]byte
}

// BenchmarkLockFloor is the second yardstick: the four uncontended lock operations that every
// Alloc+Free pair performs (Alloc's TryLock and Unlock of its shard, Free's Lock and Unlock of the
// slot's shard), alone. They are what lets Check, Close and Enter reach every pending free and
// what makes every double free detectable; Alloc+Free cannot cost less than this plus the heap-free
// work of finding, handing out and wiping a slot.
func BenchmarkLockFloor(b *testing.B) {
	for b.Loop() {
		if floorLocks[0].TryLock() {
			floorLocks[0].n++
			floorLocks[0].Unlock()
		}
		floorLocks[1].Lock()
		floorLocks[1].n++
		floorLocks[1].Unlock()
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
