// Package regions is the registry of the library's protected mappings: package arena registers
// each region it maps, and package guard looks faulting addresses up in it to name the arena.
// It is internal so that no other code can register, or hide, a region. Its Set, a sorted set
// of address ranges that lookups read without a lock, is also each arena's own list of regions.
package regions

import (
	"fmt"
	"sync"
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
	mu  sync.Mutex // serialises changes
	set Set[Region]
}

// Register records r so that faults inside it are reported as Violations; the returned function
// removes it (call it before unmapping). Overlapping registrations are an error.
func Register(r Region) (unregister func(), err error) {
	if r.End <= r.Start || r.GuardBelow > r.End-r.Start ||
		r.GuardAbove > r.End-r.Start-r.GuardBelow {
		return nil, fmt.Errorf("regions.Register: invalid region %#x-%#x (guards %#x, %#x)",
			r.Start, r.End, r.GuardBelow, r.GuardAbove)
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if o, ok := overlapping(r); ok {
		return nil, fmt.Errorf("regions.Register: %#x-%#x overlaps %#x-%#x of arena %q",
			r.Start, r.End, o.Start, o.End, o.Arena)
	}
	if err := registry.set.Add(r.Start, r.End, r); err != nil {
		return nil, fmt.Errorf("regions.Register: %w", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			registry.mu.Lock()
			defer registry.mu.Unlock()
			registry.set.Remove(r.Start)
		})
	}, nil
}

// overlapping returns a registered region that overlaps r.
func overlapping(r Region) (Region, bool) {
	for _, e := range registry.set.Entries() {
		o := e.Value
		if r.Start < o.End && o.Start < r.End {
			return o, true
		}
	}
	return Region{}, false
}

// Lookup returns the registered region that contains addr. It takes no lock.
func Lookup(addr uintptr) (Region, bool) { return registry.set.Find(addr) }
