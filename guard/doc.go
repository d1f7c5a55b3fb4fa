// Package guard is pkeyarena's defence around protected memory: it turns a stray access to arena
// memory into an error a service can log and survive, audits the running binary for instructions
// that could switch protection keys off, and offers opt-in process hardening.
//
//   - Catch runs a function and turns a memory fault inside a registered arena region into a
//     *Violation naming the arena (and whether the access hit a guard page); any other fault or
//     panic goes on unchanged.
//   - Audit scans the executable's code for instructions that can write the rights register
//     (x86-64: WRPKRU and XRSTOR/XRSTORS at every byte offset, since x86 can jump into the middle
//     of an instruction; ppc64le: mtspr to the AMR and the registers that gate it), and marks
//     those inside pkru's own register-write function as expected (by its symbol, and only
//     while no other function bears that name: a dependency's assembly named as pkru's is
//     reported, and so, then, is pkru's own): any other code that writes the register undoes
//     every domain (see the Limitations in package arena).
//   - Harden makes the process non-dumpable (PR_SET_DUMPABLE=0: no core dumps, no ptrace or
//     /proc/<pid>/mem access by other unprivileged processes) and, optionally, sets RLIMIT_CORE to
//     zero. It is never called implicitly.
//
// Package arena registers its regions in a registry of its own (internal/regions) that guard
// reads to name the arena of a faulting address; guard knows nothing of arenas or domains.
//
// # Limitations
//
//   - Catch recovers faults only in the goroutine that calls it, in Go code; a fault in cgo code,
//     or in another goroutine, still kills the process.
//   - A fault is reported after the fact: code that faulted part-way through a write has written
//     the bytes before the fault.
//   - Whether a fault was a read or a write is not reported by the runtime; Violation.Op says
//     OpWrite only where the thread's rights prove it (a read-only grant), else OpUnknown.
//   - Audit finds instruction bytes, not intentions: code can also build WRPKRU at run time (JIT,
//     mprotect'ed pages) or reach the register through a signal frame; it is a check for accidents
//     and supply-chain surprises, not a proof.
//   - Without a disassembler it cannot tell an instruction from bytes inside another one. XRSTOR's
//     pattern is short (0F AE and a ModRM byte from a wide range), so ordinary compiled code holds
//     it by chance; such hits matter only to an attacker who already controls the instruction
//     pointer and an XSAVE area. Shared libraries of cgo programs hold real ones: glibc's pkey_set
//     (WRPKRU) and its dynamic loader (XRSTOR).
//   - Harden does not stop root (CAP_SYS_PTRACE) and must run before secrets exist to matter for
//     core dumps.
package guard
