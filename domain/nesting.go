package domain

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/pkeyarena/pkeyarena/internal/gid"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// Each thread has an entry here that keeps its goroutine's live tokens: Enter pushes, Exit pops,
// and Exit panics, before changing anything, when its token is not the innermost live token of
// the calling goroutine (out of order, exited twice, or entered on another goroutine). The
// register check in Exit cannot see these cases when two tokens wrote the same rights (the same
// domain nested, or entered on two goroutines).
//
// The entry is the thread's, not the goroutine's: Enter locks the goroutine to its thread, and
// until the last Exit no other goroutine runs there (runtime.LockOSThread), so while a token is
// live the thread's entry is its goroutine's alone, and a token exited on another goroutine finds
// another thread's entry. An entry is claimed once for the life of the thread, so the hot path
// reads and writes it with plain instructions and no atomic operation.
//
// The entry also keeps, for its first nestFrames tokens, what Enter read and wrote to the
// register, so that a Token stays small enough to travel in machine registers (see Token).
//
// Entries live in a fixed table indexed by a hash of the thread's identifier (internal/gid),
// probed over nestProbes neighbours: no allocation, and each entry is written only by its
// thread. A thread whose neighbourhood is full, or a platform without identifiers, is not
// tracked: its tokens keep their frames on the heap, as do tokens nested deeper, and get the
// register check and a refusal of a second Exit of the same token, not the check of order or
// goroutine. A thread that ends keeps its entry until the runtime reuses its descriptor for a
// new thread (a goroutine that ends while locked takes its thread with it).

const (
	nestBits   = 14
	nestSize   = 1 << nestBits // more than the runtime's 10 000 threads
	nestProbes = 8
	nestFrames = 3 // nesting depth whose frames live in the entry
)

// frame is what Exit needs of the register as Enter found and left it.
type frame struct {
	saved pkru.Rights // the register before Enter
	wrote pkru.Rights // the register Enter wrote
	mask  pkru.Rights // the library's keys at Enter: the bits Exit compares and restores
	// exited: a heap frame's token (untracked thread) was exited; it is the only frame of its
	// token, so a second Exit, of the token or a copy, is refused.
	exited atomic.Bool
}

type nestHead struct {
	thread atomic.Uintptr // owning thread (gid.Thread), for its life; 0: free
	top    uint32         // id of the innermost live token; 0: none
	next   uint32         // ids handed out, never reset: a stale token matches after 2^32
	depth  uint32         // live tokens
	frames [nestFrames]frame
}

type nestEntry struct {
	nestHead
	_ [128 - unsafe.Sizeof(nestHead{})]byte
}

// An entry fills two 64-byte cache lines, or one 128-byte line.
var nest [nestSize]nestEntry

// entryFor returns thread m's entry, claiming a free one when it has none, or nil when it cannot
// be tracked. m is the calling goroutine's thread, and the goroutine is locked to it.
func entryFor(m uintptr) *nestEntry {
	if m == 0 {
		return nil
	}
	i := gid.Slot(m, nestBits)
	for p := range uint(nestProbes) {
		if e := &nest[(i+p)%nestSize]; e.thread.Load() == m {
			return e
		}
	}
	for p := range uint(nestProbes) {
		if e := &nest[(i+p)%nestSize]; e.thread.Load() == 0 && e.thread.CompareAndSwap(0, m) {
			return e
		}
	}
	return nil
}

// push records a new innermost token of d for the calling goroutine and returns it, with a frame
// for the register when saves is set (PKU mode).
func push(d *Domain, saves bool) Token {
	t := Token{d: d}
	e := entryFor(gid.Thread())
	if e != nil {
		e.next++
		if e.next == 0 { // 0 means none
			e.next = 1
		}
		t.ent, t.ids = e, uint64(e.top)<<32|uint64(e.next)
		e.top = e.next
		e.depth++
		orderForRace(e)
		if saves && e.depth <= nestFrames {
			t.f = &e.frames[e.depth-1]
			return t
		}
	}
	if saves || e == nil { // an untracked token's frame also tells a second Exit
		t.f = new(frame)
	}
	return t
}

// checkTop panics unless token number id of d, in entry e, is the calling goroutine's innermost
// live token. It changes nothing. (The entry's thread is checked first: only that thread reads
// top.)
func checkTop(d *Domain, e *nestEntry, id uint32) {
	if e != nil && (e.thread.Load() != gid.Thread() || e.top != id) {
		badExit(d, e, id)
	}
}

func badExit(d *Domain, e *nestEntry, id uint32) {
	if e.thread.Load() != gid.Thread() {
		panic(fmt.Sprintf("%v: unbalanced or interleaved Exit: the token is not live on this "+
			"goroutine: it was exited already, or Enter ran on another goroutine (Exit must run "+
			"on the goroutine that called Enter)", d))
	}
	panic(fmt.Sprintf("%v: unbalanced or interleaved Exit: token #%d is not the innermost live "+
		"token of this goroutine (#%d is): a domain entered later is still inside (exit it "+
		"first), or this token was exited already", d, id, e.top))
}

// pop removes the innermost token, checked by checkTop, from entry e; prev is the one it nests in.
func pop(e *nestEntry, prev uint32) {
	if e != nil {
		e.top = prev
		e.depth--
		orderForRace(e)
	}
}

// orderForRace publishes the entry's plain writes, in race-detector builds only. The goroutines
// that one after the other run on a thread share its entry; the runtime orders one's last Exit
// before the next one's Enter on that thread, but the race detector cannot see that ordering.
// This atomic store, paired with entryFor's load, shows it one.
func orderForRace(e *nestEntry) {
	if raceBuild {
		e.thread.Store(e.thread.Load())
	}
}
