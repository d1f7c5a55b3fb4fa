//go:build ppc64 || ppc64le

package pkru

// The POWER register, AMR (SPR 13; Linux arch/powerpc/mm/book3s64/pkeys.c), 64 bits: key k's two
// bits sit at shift 2*(31-k), so key 0 owns the top two bits; the lower of the two disables
// reads, the upper disables writes. The kernel reserves the low keys (user mode cannot change
// keys 0-3 on the machines tested) and hands out the rest.

// NumKeys is the number of protection keys the rights register describes: 32 on POWER. Key 0 is
// the default key of all memory, and the kernel reserves a few more.
const NumKeys = 32

// AllocatableKeys is the most keys pkey_alloc hands out: keys 4 to 31, on the kernels tested.
const AllocatableKeys = 28

// DefaultRights is the kernel's default AMR for user threads: key 0 read-write, every other key
// read- and write-disabled.
const DefaultRights Rights = ^Rights(0) >> 2

const (
	denyBits      = 3 // what NoAccess sets: reads and writes disabled
	readOnlyBits  = 2 // writes disabled
	registerWidth = 64
)

// shift is where key k's two bits start.
func shift(k Key) uint { return 2 * (31 - uint(k)) }
