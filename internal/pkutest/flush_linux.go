package pkutest

import (
	"fmt"
	"os"
	"sync"

	"github.com/pkeyarena/pkeyarena/internal/unix"
)

// EmulatedAMREnv names the variable the VM runner sets in POWER guests. QEMU 7.2's POWER
// emulation does not flush its TLB when the AMR revokes access (a grant takes effect at once, a
// revoke only once the page's PTE is rewritten), so a probe could see a stale grant; with the
// variable set, ReadFault and WriteFault first rewrite the probed page's PTE with an mprotect
// round trip (FlushTLB). This is test code: the library carries no emulator workaround.
const EmulatedAMREnv = "PKEYARENA_EMULATED_AMR"

var emulatedAMR = os.Getenv(EmulatedAMREnv) == "1"

// EmulatedAMR reports whether the test runs in a POWER guest under QEMU (EmulatedAMREnv), whose
// defects some tests must work around: a revoke takes effect only after FlushTLB, and a grant
// another thread's access left in the emulator's TLB can be seen by any thread until then.
func EmulatedAMR() bool { return emulatedAMR }

// FlushTLB makes the emulator forget its translations, when EmulatedAMREnv is set: it rewrites
// the PTE of a scratch page of its own (touch, then an mprotect round trip). The kernel's hash-MMU
// invalidation (tlbie) makes QEMU drop its whole software TLB on every CPU, so the probed page's
// stale grant goes too, without changing the protection of the probed page itself (which would
// make threads inside a domain fault). Elsewhere it does nothing. b is the memory about to be
// probed; it is not touched.
func FlushTLB(b []byte) {
	if !emulatedAMR {
		return
	}
	flushMu.Lock() // another flush may have the page read-only right now
	defer flushMu.Unlock()
	scratch := scratchPage()
	scratch[0]++ // the page must be in the hash table for the kernel to invalidate it
	if err := unix.Mprotect(scratch, unix.PROT_READ); err != nil {
		panic(fmt.Sprintf("pkutest.FlushTLB: mprotect: %v", err))
	}
	if err := unix.Mprotect(scratch, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		panic(fmt.Sprintf("pkutest.FlushTLB: mprotect back: %v", err))
	}
}

var flushMu sync.Mutex

var scratchPage = sync.OnceValue(func() []byte {
	b, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		panic(fmt.Sprintf("pkutest.FlushTLB: mmap: %v", err))
	}
	return b
})
