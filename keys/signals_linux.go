package keys

import (
	"syscall"
	"unsafe"

	"github.com/pkeyarena/pkeyarena/internal/unix"
)

// sigset is the kernel's signal set for rt_sigprocmask: one bit per signal, signal n at bit n-1.
type sigset uint64

// synchronous are the signals a fault raises on the faulting thread; blocking them while one is
// raised kills the process, so they stay deliverable (guard.Catch needs SIGSEGV and SIGBUS).
const synchronous = 1<<(syscall.SIGSEGV-1) | 1<<(syscall.SIGBUS-1) | 1<<(syscall.SIGFPE-1) |
	1<<(syscall.SIGILL-1) | 1<<(syscall.SIGTRAP-1) | 1<<(syscall.SIGSYS-1)

// allThreads are the signals with which the runtime (sigPerThreadSyscall, for setuid and the
// other calls that must run on every thread) and glibc (SIGCANCEL, SIGSETXID) make every thread
// do something while the world waits: held on one thread, they would freeze the process.
const allThreads = 1<<(32-1) | 1<<(33-1)

// holdSignals blocks every asynchronous signal on the calling thread (locked: it runs inside a
// domain) and returns the mask to restore. A signal handled during a signature would leave the
// registers it interrupted, key material among them, in the signal frame the kernel writes on
// the thread's signal stack, which is Go heap memory and stays until the next signal; held,
// the signal arrives after scrubStack and clearVectors, when the registers hold nothing secret.
// The Go runtime still preempts the goroutine at function calls; only its signal-based
// preemption waits.
func holdSignals() sigset {
	block, old := ^sigset(synchronous|allThreads), sigset(0)
	sigprocmask(&block, &old)
	return old
}

// releaseSignals restores the mask holdSignals saved; pending signals are delivered now.
func releaseSignals(old sigset) { sigprocmask(&old, nil) }

// sigprocmask sets the calling thread's signal mask to *set and stores the previous one in
// *old when old is not nil. It cannot fail with valid arguments.
func sigprocmask(set, old *sigset) {
	var in, out unix.Sigset_t
	*asBits(&in) = uint64(*set)
	unix.PthreadSigmask(unix.SIG_SETMASK, &in, &out)
	if old != nil {
		*old = sigset(*asBits(&out))
	}
}

// signalMask returns the calling thread's signal mask (for tests).
func signalMask() sigset {
	var out unix.Sigset_t
	unix.PthreadSigmask(unix.SIG_BLOCK, nil, &out)
	return sigset(*asBits(&out))
}

// asBits is the first 64 signals of s: the kernel's word of them, in the first 8 bytes however
// x/sys splits the set into words on this architecture (little-endian, or 64-bit words).
func asBits(s *unix.Sigset_t) *uint64 { return (*uint64)(unsafe.Pointer(s)) }
