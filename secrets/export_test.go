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

// SetCleanupHook sets a function that runs at the end of each cleanup; nil removes it.
func SetCleanupHook(fn func()) { cleanupHook = fn }
