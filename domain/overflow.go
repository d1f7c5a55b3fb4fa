package domain

import (
	"sync"
	"sync/atomic"
)

// Entries for goroutines whose bucket of the nesting table is full (nesting.go): allocated on
// the heap and found by the goroutine's identifier in a map. Slower than the table, and looked at
// only while one of them is claimed, so that every goroutine of a platform with identifiers is
// tracked however many are inside at once.
var overflow struct {
	live atomic.Int32 // entries claimed now; 0: entryFor does not look
	byG  sync.Map     // goroutine identifier → its claimed *nestEntry
	mu   sync.Mutex   // guards free
	free []*nestEntry
}

// overflowOff makes a full bucket leave its goroutine untracked again (tests of that path).
var overflowOff atomic.Bool

// overflowOf returns the overflow entry goroutine g claimed, or nil. (The map is looked at only
// while an overflow entry is claimed; the check inlines into entryFor.)
func overflowOf(g uintptr) *nestEntry {
	if overflow.live.Load() == 0 {
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
func claimOverflow(g uintptr) *nestEntry {
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
	overflow.byG.Store(g, e)
	return e
}

// releaseOverflow frees overflow entry e, whose last token its goroutine exited (pop).
func releaseOverflow(e *nestEntry) {
	overflow.byG.Delete(e.g.Load())
	e.g.Store(0)
	overflow.live.Add(-1)
	overflow.mu.Lock()
	overflow.free = append(overflow.free, e)
	overflow.mu.Unlock()
}
