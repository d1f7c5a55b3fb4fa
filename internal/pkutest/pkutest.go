// Package pkutest holds the test helpers shared by pkeyarena's packages: the rule that decides
// whether a test that needs protection keys skips or fails, a fault catcher, and page mapping.
package pkutest

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/fault"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// RequireEnv names the variable that makes protection keys mandatory: a test that finds none
// fails instead of skipping. The VM runner sets it in the guest, and make test-host on a PKU host.
const RequireEnv = "PKEYARENA_REQUIRE_PKU"

// GuestEnv names the variable the VM runner sets inside the guest only.
const GuestEnv = "PKEYARENA_VM_GUEST"

// Required reports whether protection keys are mandatory here (RequireEnv).
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// InVM reports whether the test runs inside the emulated-PKU guest (make test-vm): only there may
// a test change machine-wide settings (core_pattern) or rely on the guest kernel's known
// behaviour. A PKU host with RequireEnv set is not the guest.
func InVM() bool { return os.Getenv(GuestEnv) == "1" }

// RequirePKU skips the test when protection keys are unavailable, with a message naming the
// command that runs it under emulated PKU; under the VM runner it fails instead, so that a broken
// test bed can never pass by skipping.
func RequirePKU(tb testing.TB) {
	tb.Helper()
	err := pkru.Supported()
	if err == nil {
		return
	}
	if Required() {
		tb.Fatalf("protection keys are required here (%s=1, set by the VM runner and by make "+
			"test-host on a PKU host) but unavailable: %v", RequireEnv, err)
	}
	tb.Skipf("needs protection keys (%v); run it under emulated PKU with: make test-vm PKGS=%s",
		err, pkgArg())
}

// pkgArg returns the current package as a path relative to the module root ("./pkru/"), or "./...".
func pkgArg() string {
	wd, err := os.Getwd()
	if err != nil {
		return "./..."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "./..."
			}
			return "./" + filepath.ToSlash(rel) + "/"
		}
		if filepath.Dir(dir) == dir {
			return "./..."
		}
	}
}

// Fault is what [Catch] reports about a memory fault.
type Fault = fault.Fault

// Catch runs fn with debug.SetPanicOnFault on and returns the fault it caused, or nil if it ran
// to the end. A panic that is not a memory fault is re-raised.
func Catch(fn func()) *Fault { return fault.Catch(fn, nil) }

// Sink receives bytes read by tests so that the compiler cannot drop the reads. It is atomic so
// that probes from many goroutines do not race with each other.
var Sink atomic.Uint32

// ReadByte reads b[i] in a way the compiler keeps.
func ReadByte(b []byte, i int) { Sink.Store(uint32(b[i])) }

// WriteByte writes v to b[i].
func WriteByte(b []byte, i int, v byte) { b[i] = v }

// ReadFault reports whether reading b[0] faults (after FlushTLB).
func ReadFault(b []byte) bool {
	FlushTLB(b)
	return Catch(func() { ReadByte(b, 0) }) != nil
}

// WriteFault reports whether writing 0x5a to b[0] faults (after FlushTLB).
func WriteFault(b []byte) bool {
	FlushTLB(b)
	return Catch(func() { WriteByte(b, 0, 0x5a) }) != nil
}

// ConcurrentLeaks returns n, the number of probes that read memory while another thread held a
// grant to it, except under EmulatedAMR: there QEMU's TLB keeps a grant one thread's access
// left in it, visible to any thread on that CPU until the next flush, and no probe racing with
// such a thread can be made reliable; the count is then logged and 0 returned. Sequential probes
// (FlushTLB first) stay exact everywhere.
func ConcurrentLeaks(tb testing.TB, n int64) int64 {
	tb.Helper()
	if n > 0 && EmulatedAMR() {
		tb.Logf("%d probes raced with a granted thread and read: not counted under QEMU's POWER "+
			"emulation (stale TLB grants; see docs/testing.md)", n)
		return 0
	}
	return n
}
