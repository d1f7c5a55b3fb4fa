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
// Where the CPU and kernel have protection keys (pkru.Supported), the arena's pages are tagged with
// its key (see More arenas than keys), which every thread's rights register denies: the pages are
// readable and writable (PROT_READ|PROT_WRITE) but fault for every thread except one that a domain
// opened them for (Mode PKU). Elsewhere, or with PKEYARENA_FORCE_FALLBACK=1, the pages are
// PROT_NONE at rest and entering a domain makes them accessible to the whole process until the last
// one exits (Mode Mprotect): protection is temporal, not per thread. Mode tells which; RequirePKU
// refuses the fallback.
//
// # Allocation
//
// All metadata (free lists, bitmaps, lengths) lives in the Go heap, never in the protected pages,
// so Alloc and Free work from any goroutine, inside a domain or not, and make no system call on
// the common path. Neither touches the protected bytes: freed slots wait, still protected, and are
// wiped in batches before reuse, when a domain that grants the arena is next entered (so code
// inside never reads a freed object), at Check and Close, and past a small bound (see Free).
// Canaries before and after every object detect overflows and underflows when a batch wipes
// them and by Check. Free detects double frees, foreign slices and sub-slices
// (ErrNotAllocated) without harm. Close wipes everything, unmaps and frees the key; an arena that
// is never closed is cleaned up after it becomes unreachable (runtime.AddCleanup), but Close it:
// the backstop runs late or not at all.
//
// # More arenas than keys
//
// In PKU mode an arena holds a virtual key, bound to a hardware key while it is used. Entering a
// domain pins the keys of its arenas; a pinned key stays with its arena. When an arena
// without a key is needed and the kernel has no key left, the least recently used arena that
// nobody has pinned (approximated by the CLOCK algorithm) loses its key: its pages are parked,
// PROT_NONE under the default key 0, which no thread can access whatever its register says, and
// the key is re-tagged onto the newcomer's pages. A thread inside a domain never sees a key
// change under it: the pins of its domain keep its arenas' keys, and a key it does not hold is
// denied by its register, before and after the key moves. Parking with PROT_NONE rather than a
// reserved key leaves one more key for arenas, and also stops code that writes the register
// wholesale. The number of arenas is then bounded by memory and vm.max_map_count. Keys reports
// misses, evictions and re-tag time for the library; Stats.KeyHits and the rest per arena.
//
// New and MakeSlice place typed values in an arena; the type must hold no Go pointers, since the
// garbage collector does not scan arena memory (ErrPointers otherwise).
//
// # Errors and waits
//
// Errors wrap the package's sentinels, to be tested with errors.Is, and say what failed:
//
//   - Alloc, New, MakeSlice: ErrInvalidSize (n < 1, or more than 16 GiB at once; 1 GiB on 32-bit
//     systems), ErrClosed, ErrPointers (New, MakeSlice), and when the arena cannot grow:
//     ErrLimit (its Limit), ErrMemlock (RLIMIT_MEMLOCK; the error gives the limit, the bytes asked
//     for and the fixes: raise the limit, grant CAP_IPC_LOCK, or Lock(false)), ErrSecretMem (no
//     memfd_secret; past RLIMIT_MEMLOCK the error wraps ErrMemlock too), or the kernel's ENOMEM.
//     Before any of the last four, every shard's pending frees are wiped and the allocation is
//     tried again; a region that does not fit is tried at half the size while that still holds
//     the object.
//   - Free: ErrNotAllocated (foreign slices, sub-slices, double frees), ErrClosed. It never waits.
//   - Check: ErrCorrupted per damaged object, ErrClosed. Close: ErrBusy, and ErrCorrupted.
//   - NewArena and options: ErrInvalidOption, pkru.ErrNotSupported (RequirePKU), pkru.ErrNoKeys.
//   - PKU mode, when every key is pinned by threads inside other domains and the kernel has none
//     left: Alloc, New, MakeSlice and Check wait up to KeyWait for a key when they need one (to
//     wipe pending frees or cut a slab) and then return an error wrapping ErrKeysPinned. Free
//     does not wait: its batch stays pending for the next wipe. Close does not wait for a key.
//     Entering a domain waits as package domain says (Enter, TryEnter, EnterContext).
//
// # Limitations
//
//   - Protection keys stop stray accesses, not code that executes WRPKRU itself: any code in the
//     process can open any key. See guard.Audit.
//   - ptrace, /proc/<pid>/mem and process_vm_readv(2) read arena memory: the kernel ignores keys
//     for such access, and ptrace and /proc/<pid>/mem also override PROT_NONE (Mprotect mode;
//     process_vm_readv gets EFAULT there). The SecretMem backing stops all three (the pages
//     are not in the kernel's direct map), and guard.Harden keeps other unprivileged processes
//     out. This is the list every other Limitations section refers to.
//   - In Mprotect mode, while any thread is inside a domain that grants an arena, every thread of
//     the process can access it.
//   - The library's own work on protected bytes (wiping, canaries, Check, Close, the cleanup
//     backstop, cutting slabs, re-tagging, parking) opens no live secret to another thread. In
//     PKU mode it goes through the working thread's own register, with the key pinned (without
//     a key, wipes wait or stay pending); Close of a parked arena, the backstop and Mprotect-mode
//     work while no domain is inside go through the kernel's view (/proc/self/mem, probed once),
//     which leaves every page's protection as it is. Cutting a slab in Mprotect mode opens only
//     the new slab's own pages, which hold no object yet. What opens pages holding secrets to
//     every thread, all in Mprotect mode: the first Enter of a domain wipes the frees pending
//     since the arena was last open in place, with the pages read-write for that moment (also
//     for a read-only grant); with SecretMem backing, where the kernel's view is unavailable
//     (no /proc, or forced access refused), or on a page where it fails, a batched wipe opens
//     the pages of the slots it wipes and Check the regions it reads; outside Linux the final
//     wipe opens the regions too. Close then
//     discards pending SecretMem slots without checking their canaries. A batched wipe through
//     the kernel's view costs about three system calls per slot.
//   - A slice does not keep its Arena alive. Keep the Arena reachable, or Close it, for as long
//     as its memory is used: once the Arena (and every domain over it) is unreachable, the
//     cleanup backstop wipes and unmaps everything, live objects included, and a held slice
//     dangles as after Close (an access faults, and guard.Catch cannot name the arena).
//   - Copies the program makes into the Go heap (a string(b), a log line, crypto code that copies
//     its key) are not protected; keep secrets in arena slices and pass them by reference.
//   - A double free is detected until the slot is handed out again; slots are reused first in,
//     first out, which makes that late.
//   - Using a slice after Free or Close is not detected: after Free it reads the old bytes until
//     the batch wipe (which every later Enter of a granting domain does first; code that frees
//     and reads again inside one domain visit sees them), then zeros or another object; after
//     Close it faults.
//   - Free does not check canaries: the batch that wipes the slot does, and the corruption is
//     reported by the next Check or Close, not by the Free that found it.
//   - Every region is its own set of mappings; vm.max_map_count (65530 by default) bounds the
//     number of regions of all arenas together.
//   - At most as many arenas as there are hardware keys (15 on x86, 28 on POWER, fewer when
//     other code holds some) can be in use at one instant; more arenas take turns (below). When
//     every key is pinned by threads inside domains, binding another waits up to KeyWait and
//     then fails with ErrKeysPinned. A goroutine that ends inside a domain without Exit keeps
//     its pins for good: that arena keeps its key and Close reports ErrBusy.
//   - A miss costs a pkey_mprotect per region of the arena that loses the key and of the one that
//     gets it (about one mprotect pair each): arenas used in turn by many threads, with more of
//     them in use than keys, pay that on most switches.
//   - Standard-library crypto that caches keys by weak pointer (crypto/ed25519.Sign since Go 1.24)
//     aborts the program when handed arena memory ("getWeakHandle on invalid pointer"), since arena
//     memory is not Go heap; package keys signs in place instead.
package arena
