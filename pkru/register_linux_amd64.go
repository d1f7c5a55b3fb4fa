package pkru

import "fmt"

// cpuid executes CPUID with the given leaf and sub-leaf. Implemented in register_linux_amd64.s.
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// rdpkru returns the calling thread's PKRU. Implemented in register_linux_amd64.s.
//
//go:noescape
func rdpkru() uint32

// wrpkru sets the calling thread's PKRU. Implemented in register_linux_amd64.s.
//
//go:noescape
func wrpkru(r uint32)

// CPUID leaves (Intel SDM vol. 2A, CPUID): leaf 0 reports the highest leaf the CPU has in EAX;
// sub-leaf 0 of leaf 7 holds the structured extended feature flags. Leaf 0 ignores the sub-leaf.
const (
	cpuidMaxLeaf     = 0
	cpuidFeatureLeaf = 7
	cpuidSubleaf     = 0
)

// CPUID leaf 7, sub-leaf 0, ECX bits.
const (
	cpuidPKU   = 1 << 3 // the CPU has protection keys for user pages
	cpuidOSPKE = 1 << 4 // the OS set CR4.PKE: RDPKRU and WRPKRU may be executed
)

func readRegister() Rights   { return Rights(rdpkru()) }
func writeRegister(r Rights) { wrpkru(uint32(r)) }

// registerProbe says why keys cannot be used, from the CPU's point of view: CPUID tells whether
// the CPU has PKU and whether the kernel enabled it.
func registerProbe() error {
	if !cpuPKU {
		return fmt.Errorf("%w: the CPU lacks PKU (CPUID.(EAX=7,ECX=0):ECX bit 3 is clear)",
			ErrNotSupported)
	}
	if !hasRegister {
		return fmt.Errorf("%w: the kernel has not enabled PKU (CPUID OSPKE is clear; booted with "+
			"nopku, or built without CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS)", ErrNotSupported)
	}
	return nil
}

var cpuPKU, hasRegister = func() (pku, ospke bool) {
	if max, _, _, _ := cpuid(cpuidMaxLeaf, cpuidSubleaf); max < cpuidFeatureLeaf {
		return false, false
	}
	_, _, ecx, _ := cpuid(cpuidFeatureLeaf, cpuidSubleaf)
	return ecx&cpuidPKU != 0, ecx&cpuidOSPKE != 0
}()

// registerLayer is true where this package can drive the register (see platforms.go).
const registerLayer = true

// noteAlloc has nothing to do: the register reads back what pkey_alloc set.
func noteAlloc(Key, Access) {}
