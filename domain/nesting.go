package domain

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/pkeyarena/pkeyarena/internal/gid"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// Each goroutine inside a domain has an entry here: the innermost of its live tokens. Enter
// pushes, Exit pops, and Exit panics, before changing anything, when its token is not the
// innermost live token of the calling goroutine (out of order, exited twice, or entered on
// another goroutine). The register check in Exit cannot see these cases when two tokens wrote
// the same rights (the same domain nested, or entered on two goroutines).
//
// The entry also keeps, for its first nestFrames tokens, what Enter read and wrote to the
// register, so that a Token stays small enough to travel in machine registers (see Token).
//
// Entries live in a fixed table of small buckets indexed by a hash of the goroutine's identifier
// (internal/gid: its goroutine ID, never given to another goroutine): no allocation, and each
// entry is written only by its goroutine. A goroutine
// whose bucket is full gets an entry of its own on the heap (overflow.go). On a platform without
// identifiers no goroutine is tracked: tokens keep their frames on the heap, as do tokens nested
// deeper, and get the register check and a refusal of a second Exit of the same token, not the
// check of order or goroutine.

const (
	nestBucketBits = 13
	nestBuckets    = 1 << nestBucketBits // of 2 ways: more than the runtime's 10 000 threads
	nestWays       = 2
	nestFrames     = 3 // nesting depth whose frames live in the entry
)

// frame is what Exit needs of the register as Enter found and left it.
type frame struct {
	saved pkru.Rights // the register before Enter
	wrote pkru.Rights // the register Enter wrote
	mask  pkru.Rights // the library's keys at Enter, the domain's among them
	mine  pkru.Rights // the domain's own keys
}

// heapFrame is a frame on the heap: of a token nested deeper than an entry keeps, or of an
// untracked goroutine. Its frame comes first, so that a token's *frame leads back to it.
type heapFrame struct {
	frame
	// exited: the token of an untracked goroutine was exited; this is the only frame of its
	// token, so a second Exit, of the token or a copy, is refused.
	exited atomic.Bool
}

// heapOf returns the heapFrame that f, a heap frame's, belongs to.
func heapOf(f *frame) *heapFrame { return (*heapFrame)(unsafe.Pointer(f)) }

type nestHead struct {
	g     atomic.Uintptr // owning goroutine; 0: free
	top   uint32         // id of the innermost live token; 0: none (owner only)
	next  uint32         // ids handed out, never reset: a stale token matches after 2^32 (owner only)
	depth uint32         // live tokens (owner only)
	// spilled: an overflow entry (overflow.go), not one of the table's (set once)
	spilled bool
	frames  [nestFrames]frame
	// The tokens drop took off the entry, still live for their Exit (owner only): deadTop, the
	// innermost of them (0: none), down to the one whose enclosing token is deadBase.
	deadTop, deadBase uint32
}

// nestEntry is 128 bytes where pointers have 64 bits (TestTokenFitsInRegisters).
type nestEntry struct{ nestHead }

// An entry fills two 64-byte cache lines, or one 128-byte line.
var nest [nestBuckets][nestWays]nestEntry

// entryFor returns the calling goroutine's entry, claiming a free one when it has none (in its
// bucket, or else from the overflow), or nil when it cannot be tracked.
func entryFor(g uintptr) *nestEntry {
	if g == 0 {
		return nil
	}
	slot := gid.Slot(g, nestBucketBits)
	b := &nest[slot]
	for i := range b {
		if b[i].g.Load() == g {
			return &b[i]
		}
	}
	if e := overflowOf(g, slot); e != nil { // before a way of the bucket frees up for it
		return e
	}
	for i := range b {
		if b[i].g.Load() == 0 && b[i].g.CompareAndSwap(0, g) {
			return &b[i]
		}
	}
	return claimOverflow(g, slot)
}

// push records a new innermost token of d for the calling goroutine and returns it, with a frame
// for the register when saves is set (PKU mode).
func push(d *Domain, saves bool) Token {
	t := Token{d: d}
	e := entryFor(gid.Current())
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
		t.f = &new(heapFrame).frame
	}
	return t
}

// isTop reports whether token number id, in entry e (nil: untracked), is the calling
// goroutine's innermost live token. (The entry's owner is checked first: only the owner reads
// top.)
func isTop(e *nestEntry, id uint32) bool {
	return e == nil || e.g.Load() == gid.Current() && e.top == id
}

// isDropped reports whether token number id, in entry e, is the innermost of the calling
// goroutine's tokens that drop took off.
func isDropped(e *nestEntry, id uint32) bool {
	return e != nil && e.g.Load() == gid.Current() && e.deadTop != 0 && e.deadTop == id
}

func badExit(d *Domain, e *nestEntry, id uint32) {
	if e.g.Load() != gid.Current() {
		panic(fmt.Sprintf("%v: unbalanced or interleaved Exit: the token is not live on this "+
			"goroutine: it was exited already, or Enter ran on another goroutine (Exit must run "+
			"on the goroutine that called Enter)", d))
	}
	panic(fmt.Sprintf("%v: unbalanced or interleaved Exit: token #%d is not the innermost live "+
		"token of this goroutine (#%d is): a domain entered later is still inside (exit it "+
		"first), or this token was exited already", d, id, e.top))
}

// pop removes the innermost token, checked by isTop, from entry e; prev is the one it nests in.
// When that frees an overflow entry it reports so, and the caller must call releaseOverflow. (So
// that pop has no call, and inlines into Exit.)
func pop(e *nestEntry, prev uint32) (spilled bool) {
	if e == nil {
		return false
	}
	e.top = prev
	e.depth--
	if prev != 0 || e.deadTop != 0 {
		orderForRace(e)
		return false
	}
	e.depth = 0 // also after drop, which may leave it high
	if e.spilled {
		return true
	}
	e.g.Store(0)
	return false
}

// release frees entry e, whose goroutine holds no token in it any more.
func release(e *nestEntry) {
	e.depth = 0 // also after drop, which may leave it high
	if e.spilled {
		releaseOverflow(e)
	} else {
		e.g.Store(0)
	}
}

// drop removes token t of entry e (nil: untracked, nothing to do), which the caller checked is
// its goroutine's, and every token above it (Do's misuse: the tokens fn left inside). Those stay
// exitable, innermost first, through popDropped: their Exit gives back their pins or opens and
// touches neither the register nor the goroutine's live tokens. (Only the latest drop's: tokens
// an earlier drop took off and that were not exited yet cannot be exited any more, and keep their
// pins or opens.) The depth is
// exact when t's frame is one the entry keeps, and is otherwise left high, which only sends later
// tokens' frames to the heap.
func drop(e *nestEntry, t Token) {
	if e == nil {
		return
	}
	if id := uint32(t.ids); e.top != id {
		e.deadTop, e.deadBase = e.top, id
	}
	for i := range e.frames {
		if t.f == &e.frames[i] {
			e.depth = uint32(i)
		}
	}
	e.depth++ // pop takes t itself
	if pop(e, uint32(t.ids>>32)) {
		releaseOverflow(e)
	}
}

// popDropped removes dropped token t, checked by isDropped, from its entry.
func popDropped(e *nestEntry, t Token) {
	e.deadTop = uint32(t.ids >> 32)
	if e.deadTop == e.deadBase {
		e.deadTop = 0
		if e.top == 0 {
			release(e)
			return
		}
	}
	orderForRace(e)
}

// orderForRace publishes the owner's plain writes to its entry, in race-detector builds only.
// Where identifiers are descriptor addresses (gid.Unique is false), a goroutine that ends inside
// a domain leaves its entry claimed, and a new goroutine that the runtime gives the same
// descriptor takes the entry over without a compare-and-swap. The runtime orders the old
// goroutine's end before the new one's start, but the race detector cannot see that ordering;
// this atomic store, paired with entryFor's load, shows it one. (With goroutine IDs, never
// reused, no entry is taken over.)
func orderForRace(e *nestEntry) {
	if raceBuild {
		e.g.Store(e.g.Load())
	}
}
