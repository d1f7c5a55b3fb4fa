package keys

import "github.com/pkeyarena/pkeyarena/arena"

// Option configures Read, LoadFile and Generate.
type Option interface{ apply(*config) }

type config struct {
	arena     *arena.Arena
	arenaOpts []arena.Option
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// InArena places the key (and, while it is read, the input) in a, an arena the caller owns:
// several keys can then share one arena's pages and protection key. The Signer's Close wipes and
// frees only its own bytes and leaves a open. Without InArena each key gets an arena of its own,
// named "keys", which Close closes. Once a is closed the Signer's Sign fails with
// arena.ErrClosed. InArena panics when a is nil.
func InArena(a *arena.Arena) Option {
	if a == nil {
		panic("keys.InArena: nil arena")
	}
	return optionFunc(func(c *config) { c.arena = a })
}

// ArenaOptions are passed to arena.NewArena for the arena a key gets when InArena is not given
// (after arena.Name("keys"), so a Name here wins): for example arena.RequirePKU(), to refuse
// the mprotect fallback, or arena.WithBacking(arena.SecretMem). They are ignored with InArena.
func ArenaOptions(opts ...arena.Option) Option {
	return optionFunc(func(c *config) { c.arenaOpts = append(c.arenaOpts, opts...) })
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o.apply(&c)
	}
	return c
}
