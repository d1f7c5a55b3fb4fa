package arena

import "errors"

// Before an allocation is refused for lack of memory, the frees pending in every shard are wiped
// and made ready, and the allocation tries once more: a freed object that waits for its batch
// must not make another goroutine fail.

// outOfMemory reports whether err refuses growth for lack of memory: the arena's Limit,
// RLIMIT_MEMLOCK (for secret memory too), or the kernel's mapping calls.
func outOfMemory(err error) bool {
	return errors.Is(err, ErrLimit) || errors.Is(err, ErrMemlock) || errors.Is(err, errNoMemory)
}

// reclaim wipes every shard's pending frees (the same batched wipes as ever, opening the pages to
// the calling thread only, or going through the kernel's view) and reports whether it found any.
// A goroutine that finds none may still find slots another one reclaimed a moment before, in
// their shard's ready list: its caller looks there again either way.
func (a *Arena) reclaim() bool {
	if a.mode == Mprotect {
		if a.pendingTotal() == 0 {
			return false
		}
		a.flush()
		return true
	}
	found := false
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		n := len(sh.pending)
		sh.mu.Unlock()
		if n == 0 {
			continue
		}
		if a.wipeShard(sh, true) != nil {
			break // every key is pinned: one wait (KeyWait) is enough to know it
		}
		found = true
	}
	return found
}
