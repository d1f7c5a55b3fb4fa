package regions

import "testing"

func TestRegistry(t *testing.T) {
	r := Region{
		Arena:      "x",
		Start:      0x10000,
		End:        0x14000,
		GuardBelow: 0x1000,
		GuardAbove: 0x1000,
		Key:        -1,
	}
	un, err := Register(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		addr uintptr
		ok   bool
	}{{0xffff, false}, {0x10000, true}, {0x13fff, true}, {0x14000, false}} {
		if _, ok := Lookup(tt.addr); ok != tt.ok {
			t.Errorf("Lookup(%#x) = %v, want %v", tt.addr, ok, tt.ok)
		}
	}
	if _, err := Register(Region{Arena: "y", Start: 0x13000, End: 0x15000}); err == nil {
		t.Error("an overlapping region was accepted")
	}
	if _, err := Register(Region{Start: 0x20000, End: 0x20000}); err == nil {
		t.Error("an empty region was accepted")
	}
	un()
	un() // idempotent
	if _, ok := Lookup(0x11000); ok {
		t.Error("found after unregistering")
	}
}

// Guard sizes that do not fit the region, including sums that overflow, are refused.
func TestRegisterRefusesBadGuards(t *testing.T) {
	for _, r := range []Region{
		{Start: 0x30000, End: 0x31000, GuardBelow: 0x2000},
		{Start: 0x30000, End: 0x31000, GuardBelow: 0x800, GuardAbove: 0x900},
		{Start: 0x30000, End: 0x31000, GuardBelow: ^uintptr(0)},
		{Start: 0x30000, End: 0x31000, GuardBelow: 0x1000, GuardAbove: ^uintptr(0) - 0xfff},
	} {
		if un, err := Register(r); err == nil {
			un()
			t.Errorf("Register(%+v) accepted", r)
		}
	}
}

// A Set finds the entry that contains an address, refuses overlaps and empty ranges, and yields
// its values in address order.
func TestSet(t *testing.T) {
	var s Set[string]
	if _, ok := s.Find(1); ok || s.Len() != 0 {
		t.Fatal("the zero Set is not empty")
	}
	entries := []Entry[string]{{0x3000, 0x4000, "c"}, {0x1000, 0x2000, "a"}, {0x2000, 0x3000, "b"}}
	for _, e := range entries {
		if err := s.Add(e.Start, e.End, e.Value); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range [][2]uintptr{{0x1800, 0x1900}, {0x0, 0x1001}, {0x5000, 0x5000}} {
		if err := s.Add(bad[0], bad[1], "x"); err == nil {
			t.Errorf("Add(%#x, %#x) accepted", bad[0], bad[1])
		}
	}
	for _, tt := range []struct {
		addr uintptr
		want string
	}{{0xfff, ""}, {0x1000, "a"}, {0x1fff, "a"}, {0x2000, "b"}, {0x3fff, "c"}, {0x4000, ""}} {
		if v, _ := s.Find(tt.addr); v != tt.want {
			t.Errorf("Find(%#x) = %q, want %q", tt.addr, v, tt.want)
		}
	}
	var order string
	for _, e := range s.Entries() {
		order += e.Value
	}
	if order != "abc" {
		t.Errorf("Entries in order %q, want abc", order)
	}
	s.Remove(0x2000)
	if _, ok := s.Find(0x2800); ok || s.Len() != 2 {
		t.Error("Remove left the entry")
	}
	s.Clear()
	if s.Len() != 0 {
		t.Error("Clear left entries")
	}
}
