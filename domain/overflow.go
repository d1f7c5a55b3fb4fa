package domain

import (
	"sync"
	"sync/atomic"

	"github.com/pkeyarena/pkeyarena/internal/gid"
)

// Entries for goroutines whose bucket of the nesting table is full (nesting.go): allocated on
// the heap and found by the goroutine's identifier in a map. Slower than the table, and looked at
// only while one of them is claimed, so that every goroutine of a platform with identifiers is
// tracked however many are inside at once.
var overflow struct {
	live     atomic.Int32              // entries claimed now
	inBucket [nestBuckets]atomic.Int32 // of them, those of each bucket's goroutines; 0: no look
	byG      sync.Map                  // goroutine identifier → its claimed *nestEntry
	mu       sync.Mutex                // guards free
	free     []*nestEntry
}

// overflowOff makes a full bucket leave its goroutine untracked again (tests of that path).
var overflowOff atomic.Bool

// overflowOf returns the overflow entry goroutine g, of bucket slot, claimed, or nil. (The map
// is looked at only while a goroutine of that bucket has claimed one; the check inlines into
// entryFor. An entry of a goroutine that ended inside a domain stays claimed: it slows the
// outermost Enter of its bucket's goroutines only.)
func overflowOf(g uintptr, slot uint) *nestEntry {
	if overflow.inBucket[slot].Load() == 0 {
		return nil
	}
	return lookupOverflow(g)
}

func lookupOverflow(g uintptr) *nestEntry {
	if e, ok := overflow.byG.Load(g); ok {
		return e.(*nestEntry)
	}
	return nil
}

// claimOverflow gives goroutine g, whose bucket is full, an entry of its own.
func claimOverflow(g uintptr, slot uint) *nestEntry {
	if overflowOff.Load() {
		return nil
	}
	overflow.mu.Lock()
	var e *nestEntry
	if n := len(overflow.free); n > 0 {
		e, overflow.free = overflow.free[n-1], overflow.free[:n-1]
	} else {
		e = &nestEntry{}
		e.spilled = true
	}
	overflow.mu.Unlock()
	e.g.Store(g)
	overflow.live.Add(1)
	overflow.inBucket[slot].Add(1)
	overflow.byG.Store(g, e)
	return e
}

// releaseOverflow frees overflow entry e, whose last token its goroutine exited (pop).
func releaseOverflow(e *nestEntry) {
	g := e.g.Load()
	overflow.byG.Delete(g)
	e.g.Store(0)
	overflow.live.Add(-1)
	overflow.inBucket[gid.Slot(g, nestBucketBits)].Add(-1)
	overflow.mu.Lock()
	overflow.free = append(overflow.free, e)
	overflow.mu.Unlock()
}
