// Package domain opens arenas for the code that needs them, and for nobody else.
//
// A Domain is a set of grants: arenas, each read-only or read-write. Enter switches the calling
// goroutine's OS thread to exactly the domain's rights, and the Token it returns switches them
// back:
//
//	tok := d.Enter()
//	defer tok.Exit()
//
// or, panic- and Goexit-safe in one call, d.Do(func() error { ... }).
//
// # Modes
//
// With protection keys (Mode PKU), Enter locks the goroutine to its OS thread and writes the
// thread's rights register: the domain's arenas get their granted access, every other arena of
// this library is denied, and the register bits of keys owned by other code are untouched. No
// system call and no allocation (except one small one per Enter nested more than three deep, or
// where goroutines cannot be told apart; see below): two register writes, a few loads
// and, per granted arena, two atomic counter updates that pin its key. Every other thread, and
// this one after Exit, faults on the arenas' bytes.
//
// # More arenas than keys
//
// Arenas outnumber hardware keys (15 on x86) easily: one per tenant, per connection. While a
// domain is inside, the keys of its arenas are pinned: they cannot be given to another arena.
// Entering a domain whose arena has no key binds one (a miss: re-tagging that arena's pages,
// after parking the least recently used unpinned arena's; system calls, microseconds). When
// every key is pinned by threads inside other domains, Enter waits up to arena.KeyWait for one
// and then panics; TryEnter returns an error wrapping arena.ErrKeysPinned at once instead, and
// EnterContext waits until its context is done.
// Waiting is the default because pins last only as long as a domain is entered; it is bounded
// because nested domains on one thread that need more keys than exist would wait forever.
//
// Without them (Mode Mprotect), each arena counts the threads inside domains that grant it; the
// first Enter makes its pages accessible with the union of the current grants (read-only if all
// are read-only), the last Exit makes them PROT_NONE again. That costs one mprotect per region on
// each change, and while any thread is inside, every thread of the process can reach the arena.
// arena.RequirePKU refuses this mode when creating the arenas.
//
// # Why Enter returns a token
//
// Go has no goroutine-local storage. Enter's Token carries what Exit needs: the domain, its number
// among the goroutine's live tokens, and where Enter saved the register it found and the value it
// wrote (in a fixed per-goroutine table for the first three nested domains, on the heap below
// that). Exit panics, before changing anything, when its token is not the calling goroutine's
// innermost live one (an outer domain exited before an inner one, a token exited twice or on
// another goroutine) or when the register no longer holds what its Enter wrote, rather than
// leave the thread with rights nobody meant it to have. (A goroutine whose slot of the table is
// taken gets an entry on the heap.) On architectures other than amd64, arm64 and ppc64 goroutines
// cannot be told apart, and tokens get the register check only.
//
// # What the thread model rests on
//
//   - runtime.LockOSThread keeps the goroutine on its thread from Enter to Exit; no other
//     goroutine runs on that thread meanwhile, so no other goroutine sees the rights.
//   - New OS threads start from the runtime's template thread (when the creator is locked) or are
//     cloned from an unlocked thread: either way they do not inherit a domain's open register.
//   - Signal handlers run with the kernel's default register (all keys but 0 denied); the
//     interrupted value comes back with sigreturn, so preemption signals are harmless.
//   - A goroutine that returns or calls runtime.Goexit while inside a domain (locked, without
//     Exit) takes its thread down with it: the open register dies with the thread.
//   - Blocking system calls, GC and preemption happen on the locked thread and do not move the
//     goroutine elsewhere.
//
// # Limitations
//
//   - cgo code called inside a domain runs on the same thread and has the same access.
//   - Code that executes WRPKRU itself can open any key; the kernel ignores keys for ptrace,
//     /proc/<pid>/mem and process_vm_readv (the arena package's Limitations).
//   - In Mprotect mode protection is process-wide while any thread is inside. Exit tells tokens
//     apart per goroutine on amd64, arm64 and ppc64le; elsewhere an Exit on the wrong goroutine,
//     or of the same domain out of order, cannot be detected.
//   - Entering a domain whose arena was closed panics (TryEnter: arena.ErrClosed); closing an
//     arena while a thread is inside a domain that grants it returns arena.ErrBusy.
//   - A goroutine that ends inside a domain without Exit leaves its arenas' keys pinned for the
//     life of the process (they keep their keys; Close returns arena.ErrBusy).
//   - More domains inside at once, over distinct arenas, than hardware keys: Enter waits, then
//     panics (see above).
package domain
