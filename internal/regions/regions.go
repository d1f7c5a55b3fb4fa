// Package regions is the registry of the library's protected mappings: package arena registers
// each region it maps, and package guard looks faulting addresses up in it to name the arena.
// It is internal so that no other code can register, or hide, a region.
package regions

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
)

// Region describes memory a caller (package arena) registers: a mapping with optional guard
// pages at both ends, owned by a named arena.
type Region struct {
	Arena      string  // the owner's name, for reports
	Start, End uintptr // the whole mapping, guard pages included
	GuardBelow uintptr // bytes of guard pages at the start
	GuardAbove uintptr // bytes of guard pages at the end
	Key        int     // the protection key of the data pages, or -1
	// KeyFunc, when set, reports the key of the data pages now (-1: none), for owners whose key
	// changes (arena's virtual keys); it replaces Key.
	KeyFunc func() int
}

// CurrentKey is the key of the data pages now: KeyFunc's answer when set, Key otherwise.
func (r Region) CurrentKey() int {
	if r.KeyFunc != nil {
		return r.KeyFunc()
	}
	return r.Key
}

// DataStart and DataEnd bound the usable pages.
func (r Region) DataStart() uintptr { return r.Start + r.GuardBelow }
func (r Region) DataEnd() uintptr   { return r.End - r.GuardAbove }

var registry struct {
	mu      sync.Mutex
	regions atomic.Pointer[[]Region] // sorted by Start, replaced whole on change
}

func init() {
	empty := []Region{}
	registry.regions.Store(&empty)
}

// Register records r so that faults inside it are reported as Violations; the returned function
// removes it (call it before unmapping). Overlapping registrations are an error.
func Register(r Region) (unregister func(), err error) {
	if r.End <= r.Start || r.GuardBelow > r.End-r.Start || r.GuardAbove > r.End-r.Start-r.GuardBelow {
		return nil, fmt.Errorf("regions.Register: invalid region %#x-%#x (guards %#x, %#x)",
			r.Start, r.End, r.GuardBelow, r.GuardAbove)
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	old := *registry.regions.Load()
	for _, o := range old {
		if r.Start < o.End && o.Start < r.End {
			return nil, fmt.Errorf("regions.Register: %#x-%#x overlaps %#x-%#x of arena %q", r.Start, r.End, o.Start, o.End, o.Arena)
		}
	}
	list := append(append(make([]Region, 0, len(old)+1), old...), r)
	sort.Slice(list, func(i, j int) bool { return list[i].Start < list[j].Start })
	registry.regions.Store(&list)
	var once sync.Once
	return func() { once.Do(func() { remove(r.Start) }) }, nil
}

func remove(start uintptr) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	old := *registry.regions.Load()
	list := make([]Region, 0, len(old))
	for _, o := range old {
		if o.Start != start {
			list = append(list, o)
		}
	}
	registry.regions.Store(&list)
}

// Lookup returns the registered region that contains addr. It takes no lock.
func Lookup(addr uintptr) (Region, bool) {
	list := *registry.regions.Load()
	lo, hi := 0, len(list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if list[m].End > addr {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo < len(list) && list[lo].Start <= addr {
		return list[lo], true
	}
	return Region{}, false
}
