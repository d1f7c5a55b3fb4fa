package secrets

import "github.com/pkeyarena/pkeyarena/arena"

// DefaultArena returns the default Store's arena.
func DefaultArena() *arena.Arena {
	st, err := defaultStore()
	if err != nil {
		panic(err)
	}
	return st.arena
}

// SetCleanupHook sets a function that runs at the end of each cleanup, with the freed slot's
// arena; nil removes it.
func SetCleanupHook(fn func(*arena.Arena)) {
	if fn == nil {
		cleanupHook.Store(nil)
		return
	}
	cleanupHook.Store(&fn)
}
