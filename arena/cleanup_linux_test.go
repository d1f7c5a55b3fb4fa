package arena_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/regions"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// abandon creates an arena with a secret in it and drops every reference without Close. It
// returns the region's start address and the arena's key (0 in Mprotect mode).
func abandon(t *testing.T) (uintptr, pkru.Key) {
	a, err := arena.NewArena(arena.Name("forgotten"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Alloc(32); err != nil {
		t.Fatal(err)
	}
	mem, _ := a.RegionBounds()
	k, _ := a.Key()
	return addr(mem[0]), k
}

// The backstop for arenas the program forgot to Close: once unreachable, the arena's regions are
// unmapped and unregistered from guard, and its key goes back to the library and the kernel.
func TestCleanupBackstop(t *testing.T) {
	start, key := abandon(t)
	mapped := func() bool {
		data, err := os.ReadFile("/proc/self/maps")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			lo, hi, ok := strings.Cut(strings.Fields(line + " x")[0], "-")
			if !ok {
				continue
			}
			l, _ := strconv.ParseUint(lo, 16, 64)
			h, _ := strconv.ParseUint(hi, 16, 64)
			if uintptr(l) <= start && start < uintptr(h) {
				return true
			}
		}
		return false
	}
	keyHeld := func() bool {
		mask, _ := arena.LibraryKeys()
		return key > 0 && mask&pkru.Mask(key) != 0
	}
	if !mapped() {
		t.Fatal("the region is not mapped before the arena is dropped: the test proves nothing")
	}
	deadline := time.Now().Add(10 * time.Second)
	for mapped() || keyHeld() {
		if time.Now().After(deadline) {
			t.Fatalf("10 s after dropping the arena: region mapped %v, key %d held %v",
				mapped(), key, keyHeld())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok := regions.Lookup(start); ok {
		t.Error("the region is still registered with guard")
	}
}
