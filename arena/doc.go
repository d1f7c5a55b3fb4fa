// Package arena allocates memory for secrets outside the Go heap, on pages that only code inside
// a granting domain (package domain) can read.
//
// An Arena maps regions of pages with mmap, surrounded by PROT_NONE guard pages, excluded from
// core dumps (MADV_DONTDUMP), wiped in children after fork (MADV_WIPEONFORK) and locked in RAM
// (mlock, unless Lock(false)). Many small objects share a page: a 32-byte secret costs 40 bytes
// (the object and one 8-byte canary shared with its neighbour), so 100 000 secrets fit in about
// 4 MB of locked memory, where one page per secret would need 400 MB.
//
// # Modes
//
// Where the CPU and kernel have protection keys (pkru.Supported), the arena's pages are tagged
// with its own key, which every thread's rights register denies: the pages are readable and
// writable (PROT_READ|PROT_WRITE) but fault for every thread except one that a domain opened them
// for (Mode PKU). Elsewhere, or with PKEYARENA_FORCE_FALLBACK=1, the pages are PROT_NONE at rest
// and Open makes them accessible to the whole process until the last Release (Mode Mprotect):
// protection is temporal, not per thread. Mode tells which; RequirePKU refuses the fallback.
//
// # Allocation
//
// All metadata (free lists, bitmaps, lengths) lives in the Go heap, never in the protected pages,
// so Alloc and Free work from any goroutine, inside a domain or not, and make no system call on
// the common path. Free wipes the bytes before the slot can be reused: at once in PKU mode
// (opening the arena's key on the calling thread for the few bytes it touches), in batches in
// Mprotect mode (see Free). Canaries before and after every object detect overflows and
// underflows, on Free and by Check. Free detects double frees, foreign slices and sub-slices
// (ErrNotAllocated) without harm. Close wipes everything, unmaps and frees the key; an arena that
// is never closed is cleaned up after it becomes unreachable (runtime.AddCleanup), but Close it:
// the backstop runs late or not at all.
//
// New and MakeSlice place typed values in an arena; the type must hold no Go pointers, since the
// garbage collector does not scan arena memory (ErrPointers otherwise).
//
// # Limitations
//
//   - Protection keys stop stray accesses, not code that executes WRPKRU itself: any code in the
//     process can open any key. See guard.Audit.
//   - ptrace and /proc/<pid>/mem read arena memory in both modes: the kernel ignores keys for
//     such access and its forced access overrides PROT_NONE (TestProcMemBypassAndSecretMem).
//     The SecretMem backing removes the pages from the kernel's direct map (those reads fail
//     with EIO), and guard.Harden keeps other unprivileged processes out.
//   - In Mprotect mode, while any thread is inside a domain that grants an arena, every thread of
//     the process can access it.
//   - Copies the program makes into the Go heap (a string(b), a log line, crypto code that copies
//     its key) are not protected; keep secrets in arena slices and pass them by reference.
//   - A double free is detected until the slot is handed out again; slots are reused first in,
//     first out, which makes that late.
//   - Using a slice after Free or Close is not detected: after Free it reads zeros or another
//     object, after Close it faults.
//   - Every region is its own set of mappings; vm.max_map_count (65530 by default) bounds the
//     number of regions of all arenas together.
//   - In PKU mode every arena holds one protection key for its lifetime: a process can have at most
//     15 arenas open at once (fewer when other code holds keys); NewArena then returns an error
//     wrapping pkru.ErrNoKeys. Closing an arena gives its key back.
//   - Standard-library crypto that caches keys by weak pointer (crypto/ed25519.Sign since Go 1.24)
//     aborts the program when handed arena memory ("getWeakHandle on invalid pointer"), since arena
//     memory is not Go heap; examples/signer shows how to sign in place instead.
package arena
