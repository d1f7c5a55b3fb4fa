package pkru

import (
	"bytes"
	"fmt"
	"os"
	"sync"

	"github.com/pkeyarena/pkeyarena/internal/unix"
)

// readAMR returns the calling thread's AMR (mfspr 13). Implemented in register_linux_ppc64le.s.
func readAMR() uint64

// writeAMR sets the calling thread's AMR (mtspr 13, then isync, so that later accesses see it).
// Implemented in register_linux_ppc64le.s.
func writeAMR(v uint64)

// registerLayer is true where this package can drive the register (see platforms.go).
const registerLayer = true

// POWER has no CPUID bit to test: every POWER7 and later CPU has the AMR, and the kernel says
// whether it hands out keys (registerProbe, then pkey_alloc).
const cpuPKU, hasRegister = true, true

// radixMMU is the line /proc/cpuinfo has on POWER when the kernel runs the radix MMU.
const radixMMU = "MMU\t\t: Radix"

// registerProbe rules out the radix MMU, under which the kernel gives no keys at all (pkey_alloc
// answers ENOSPC, which would otherwise read as "all keys taken").
func registerProbe() error {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err == nil && bytes.Contains(info, []byte(radixMMU)) {
		return fmt.Errorf("%w: the kernel runs the radix MMU, which has no protection keys "+
			"(boot with disable_radix for the hash MMU)", ErrNotSupported)
	}
	return nil
}

// readBack reports whether the AMR can be read back in user mode. No Linux kernel with keys
// leaves a thread's AMR at 0 (its default denies every key but 0), so a zero read means mfspr 13
// does not work here (QEMU's POWER emulation reads 0), and the library keeps its own copy of the
// rights it wrote instead.
var readBack = sync.OnceValue(func() bool { return readAMR() != 0 })

// shadow is that copy, per thread: the last value Write set, or DefaultRights for a thread the
// library never wrote. It cannot see rights other code wrote (pkey_alloc's init_val included), and
// Exit restores what it holds. Entries go when a thread is back at DefaultRights; a thread that
// ends while inside a domain leaves one behind (its ID may be reused: Go ends such threads only
// when a goroutine exits with LockOSThread held). A lookup costs a gettid system call.
var shadow struct {
	sync.Mutex
	rights map[int]Rights
}

func readRegister() Rights {
	if readBack() {
		return Rights(readAMR())
	}
	tid := unix.Gettid()
	shadow.Lock()
	r, ok := shadow.rights[tid]
	shadow.Unlock()
	if !ok {
		return DefaultRights
	}
	return r
}

func writeRegister(r Rights) {
	if !readBack() {
		tid := unix.Gettid()
		shadow.Lock()
		if r == DefaultRights {
			delete(shadow.rights, tid)
		} else {
			if shadow.rights == nil {
				shadow.rights = map[int]Rights{}
			}
			shadow.rights[tid] = r
		}
		shadow.Unlock()
	}
	writeAMR(uint64(r))
}

// noteAlloc records in the copy the rights pkey_alloc gave the calling thread for k (its
// init_val), which the kernel wrote without this package. The caller holds the thread.
func noteAlloc(k Key, a Access) {
	if !readBack() {
		writeRegister(readRegister().With(k, a))
	}
}
