package regions

import "testing"

func TestRegistry(t *testing.T) {
	r := Region{Arena: "x", Start: 0x10000, End: 0x14000, GuardBelow: 0x1000, GuardAbove: 0x1000, Key: -1}
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
