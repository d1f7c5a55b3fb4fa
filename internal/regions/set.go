package regions

import (
	"fmt"
	"sort"
	"sync/atomic"
)

// Set is a set of disjoint address ranges, each with a value, kept sorted: an immutable slice
// replaced whole on change, so that Find and Entries take no lock. Writers (Add, Remove, Clear)
// must be serialised by the caller. The zero Set is empty and ready to use.
type Set[T any] struct{ list atomic.Pointer[[]Entry[T]] }

// Entry is one range [Start, End) of a Set and its value.
type Entry[T any] struct {
	Start, End uintptr
	Value      T
}

func (s *Set[T]) load() []Entry[T] {
	if p := s.list.Load(); p != nil {
		return *p
	}
	return nil
}

// Add inserts [start, end) with value v; ranges that are empty or overlap an entry are refused.
func (s *Set[T]) Add(start, end uintptr, v T) error {
	if end <= start {
		return fmt.Errorf("regions: empty range %#x-%#x", start, end)
	}
	old := s.load()
	for _, o := range old {
		if start < o.End && o.Start < end {
			return fmt.Errorf("regions: %#x-%#x overlaps %#x-%#x", start, end, o.Start, o.End)
		}
	}
	list := append(append(make([]Entry[T], 0, len(old)+1), old...), Entry[T]{start, end, v})
	sort.Slice(list, func(i, j int) bool { return list[i].Start < list[j].Start })
	s.list.Store(&list)
	return nil
}

// Remove deletes the entry that starts at start, if any.
func (s *Set[T]) Remove(start uintptr) {
	old := s.load()
	list := make([]Entry[T], 0, len(old))
	for _, o := range old {
		if o.Start != start {
			list = append(list, o)
		}
	}
	s.list.Store(&list)
}

// Clear deletes every entry.
func (s *Set[T]) Clear() { s.list.Store(&[]Entry[T]{}) }

// Find returns the value of the entry that contains addr.
func (s *Set[T]) Find(addr uintptr) (v T, ok bool) {
	e, ok := s.find(addr)
	return e.Value, ok
}

func (s *Set[T]) find(addr uintptr) (Entry[T], bool) {
	list := s.load()
	lo, hi := 0, len(list) // the first entry that ends after addr
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
	return Entry[T]{}, false
}

// Len is the number of entries.
func (s *Set[T]) Len() int { return len(s.load()) }

// Entries returns the entries in address order: the set as it is now, not to be modified. A
// slice rather than an iterator, so that loops over it allocate nothing.
func (s *Set[T]) Entries() []Entry[T] { return s.load() }
