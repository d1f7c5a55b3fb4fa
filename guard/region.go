package guard

import "github.com/pkeyarena/pkeyarena/pkru"

// Region is the mapping a Violation lies in: one region of an arena, with a guard page at each
// end around its data pages.
type Region struct {
	Start, End             uintptr  // the whole mapping, guard pages included
	GuardBelow, GuardAbove uintptr  // bytes of guard pages at the start and at the end
	Key                    pkru.Key // the data pages' protection key at the fault; -1 for none
}

// DataStart is the first address of the data pages.
func (r Region) DataStart() uintptr { return r.Start + r.GuardBelow }

// DataEnd is the address just past the data pages.
func (r Region) DataEnd() uintptr { return r.End - r.GuardAbove }
