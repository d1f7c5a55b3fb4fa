// Package pkru is pkeyarena's hardware and kernel layer for memory protection keys: it detects
// whether the CPU and kernel offer them, reads and writes the calling thread's rights register
// (PKRU on x86-64, through the RDPKRU and WRPKRU instructions; the AMR on POWER, SPR 13, through
// mfspr/mtspr), and wraps the three system calls pkey_alloc, pkey_free and pkey_mprotect. The
// register's layout differs (16 keys at bit 2k on x86-64, 32 keys at bit 2*(31-k) on POWER):
// Rights, With, Access, Mask and NumKeys hide it.
//
// A protection key tags pages; the rights register, which is per thread, says for every key
// whether that thread may read and write pages with that tag. Changing the register is a single
// unprivileged instruction with no system call: that is what lets package domain open and close
// memory for one thread in nanoseconds.
//
// Most users want packages arena and domain; pkru is exported for tests, benchmarks and code that
// builds its own mechanism.
//
// # Detection
//
// [Supported] checks CPUID (PKU and OSPKE) on x86-64, the MMU (keys need the hash MMU, not radix)
// on POWER, and then asks the kernel with a pkey_alloc probe; the answer is cached. Setting the
// environment variable PKEYARENA_FORCE_FALLBACK=1 before the first call makes it report
// [ErrNotSupported], so the mprotect fallback of the layers above can be forced in tests and by
// users on machines that do have keys.
//
// # Limitations
//
//   - Keys stop stray accesses, not code that writes the register itself, and the kernel ignores
//     them for ptrace, /proc/<pid>/mem and process_vm_readv: see the Limitations in package arena.
//   - Only linux/amd64, linux/ppc64le and aix/ppc64 have a register layer; the AIX one, over user
//     keys (ukey_enable, ukeyset_activate, ukey_protect; see pkru_aix.go for the mapping),
//     compiles and links but has never run. Elsewhere [Supported] reports [ErrNotSupported] and
//     [Read]/[Write] panic.
//   - On POWER, where the AMR cannot be read back in user mode (QEMU), [Read] returns the
//     library's own per-thread copy of what [Write] set, which cannot see rights other code wrote
//     directly; each such Read and Write costs a gettid system call.
//   - [Write] changes the register of the calling OS thread only: the goroutine must hold
//     runtime.LockOSThread, or the scheduler may move it to a thread with other rights.
//   - The kernel preserves register bits only for allocated keys; callers should compare and
//     restore only the bits of keys they own.
package pkru
