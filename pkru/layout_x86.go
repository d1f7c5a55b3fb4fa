//go:build !ppc64 && !ppc64le

package pkru

// The x86-64 register, PKRU (Intel SDM vol. 3A, 4.6.2), 32 bits: for key k, bit 2k (AD) disables
// all data access and bit 2k+1 (WD) disables writes. Platforms without keys use this layout too,
// so that Rights values mean the same to the mprotect fallback and the software register.

// NumKeys is the number of protection keys the rights register describes: 16 on x86-64. Key 0 is
// the default key of all memory, so at most NumKeys-1 can be allocated, usually fewer.
const NumKeys = 16

// AllocatableKeys is the most keys pkey_alloc hands out: keys 1 to 15.
const AllocatableKeys = NumKeys - 1

// DefaultRights is the register value every thread starts with after execve on Linux (the
// kernel's init_pkru): key 0 read-write, keys 1 to 15 access-disabled.
const DefaultRights Rights = 0x55555554

const (
	denyBits      = 1 // what NoAccess sets: AD alone, as the kernel does for PKEY_DISABLE_ACCESS
	readOnlyBits  = 2 // WD
	registerWidth = 32
)

// shift is where key k's two bits start.
func shift(k Key) uint { return 2 * uint(k) }
