package arena

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSlotOfMatchesDivision checks lookup's division-free slot index against division, for every
// slab stride the size classes give and for large objects' page multiples: every offset of the
// first 64 KiB, then random ones up to and past 2^32.
func TestSlotOfMatchesDivision(t *testing.T) {
	strides := []uint64{uint64(pageSize), 3 * uint64(pageSize), 1 << 20, math.MaxUint32,
		1<<32 + 4096}
	for _, size := range classSizes {
		strides = append(strides, uint64(size+canarySize))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, stride := range strides {
		if stride > math.MaxInt {
			continue // 32-bit platforms
		}
		s := &slab{stride: int(stride), recip: ^uint64(0)/stride + 1}
		check := func(rel uint64) {
			i, ok := s.slotOf(rel)
			wantOK := rel%stride == 0
			if ok != wantOK || ok && uint64(i) != rel/stride {
				t.Fatalf("stride %d, offset %d: slotOf = %d, %v; want %d, %v",
					stride, rel, i, ok, rel/stride, wantOK)
			}
		}
		for rel := range uint64(1 << 16) {
			check(rel)
		}
		for range 1 << 16 {
			check(rng.Uint64N(1 << 33))
			check(uint64(rng.IntN(1<<20)) * stride) // exact multiples, also past 2^32
		}
		for _, rel := range []uint64{math.MaxUint32, math.MaxUint32 - 1, 1 << 32,
			math.MaxUint32 / stride * stride} {
			check(rel)
		}
	}
}
