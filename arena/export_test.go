package arena

import "github.com/pkeyarena/pkeyarena/pkru"

// Test-only access to internals.

// SetBeforeUnmap installs a hook that sees each region's bytes after Close's wipe.
func SetBeforeUnmap(f func(mem []byte)) (restore func()) {
	old := beforeUnmap
	beforeUnmap = f
	return func() { beforeUnmap = old }
}

// SetPendingMax changes the Mprotect-mode bound on pending frees.
func (a *Arena) SetPendingMax(n int) { a.cfg.pendingMax = n }

// RegionBounds returns the usable part and whole mapping of every region.
func (a *Arena) RegionBounds() (mem, mapping [][]byte) {
	for _, e := range a.regs.Entries() {
		r := e.Value
		mem = append(mem, r.mem.bytes())
		mapping = append(mapping, r.mapping.bytes())
	}
	return mem, mapping
}

// PageSize is the page size the arena uses.
var PageSize = pageSize

const MaxSmall = maxSmall

// SetHold installs a hook that runs in the middle of each operation on protected bytes (carve,
// flush, check, close, backstop), after the pages were opened for it and before its work.
func SetHold(f func(op string)) (restore func()) {
	old := hold
	hold = f
	return func() { hold = old }
}

// The plumbing package domain reaches through internal/seam, for this package's tests.

func (a *Arena) PinKey(wait bool) (pkru.Key, error) {
	if wait {
		return a.pinKey(KeyWait, nil)
	}
	return a.pinKey(0, nil)
}
func (a *Arena) UnpinKey()                  { a.unpinKey() }
func (a *Arena) FixedKey() (pkru.Key, bool) { return a.fixedKey() }
func (a *Arena) Open(acc pkru.Access) error { return a.open(acc) }
func (a *Arena) Release(acc pkru.Access)    { a.release(acc) }
func (a *Arena) ReadyToEnter() bool         { return a.readyToEnter() }

var LibraryKeys = libraryKeys

// MaxAlloc is the largest single allocation.
const MaxAlloc = maxAlloc

// MostPendingInAShard returns the pending bytes of the shard that holds the most.
func (a *Arena) MostPendingInAShard() int {
	most := 0
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		most = max(most, sh.pendingBytes)
		sh.mu.Unlock()
	}
	return most
}

// SetFailure installs a hook that can fail an operation on each new region (size: its usable
// bytes): "map", as a full RLIMIT_MEMLOCK or address space would, or "seal".
func SetFailure(f func(op string, size int) error) (restore func()) {
	old := failure
	failure = f
	return func() { failure = old }
}
