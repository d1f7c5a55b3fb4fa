package arena

// Size classes for small objects. Each slot is the object followed by an 8-byte canary; slots
// share canaries with their neighbours, and a slab starts with one, so a slab of n slots of class
// size s uses 8 + n*(s+8) bytes. Objects are 8-byte aligned.
var classSizes = [...]int{16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
	3072, 4096, 6144, 8192}

const (
	numClasses = len(classSizes)
	maxSmall   = 8192
	canarySize = 8
)

// classOf maps a request size (1..maxSmall) to its class; built at init.
var classOf [maxSmall/8 + 1]uint8

func init() {
	c := 0
	for n := 0; n <= maxSmall; n += 8 {
		for classSizes[c] < n {
			c++
		}
		classOf[n/8] = uint8(c)
	}
}

// sizeClass returns the class of an n-byte request (1 <= n <= maxSmall).
func sizeClass(n int) int { return int(classOf[(n+7)/8]) }

// slabPages returns how many pages a slab of class c spans: the fewest (1, 2, 4, 8 or 16) that
// waste at most an eighth of the slab.
func slabPages(c, page int) int {
	stride := classSizes[c] + canarySize
	for k := 1; k < 16; k *= 2 {
		bytes := k * page
		n := (bytes - canarySize) / stride
		if n > 0 && bytes-canarySize-n*stride <= bytes/8 {
			return k
		}
	}
	return 16
}

// In Mprotect mode every batch of wipes costs an mprotect pair, so a class's slabs grow, doubling
// with each slab cut, up to batchSlabBytes: then one batch covers over a thousand small slots.
const batchSlabBytes = 64 << 10

// Regions grow geometrically from firstRegion to maxRegion bytes, so that the number of mappings
// grows with the bytes held, not with the number of secrets.
const (
	firstRegion = 64 << 10
	maxRegion   = 4 << 20
)
