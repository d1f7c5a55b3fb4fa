package arena

import "fmt"

// Backing chooses where an arena's pages come from.
type Backing uint8

const (
	// Anonymous is private anonymous memory (mmap), the default.
	Anonymous Backing = iota
	// SecretMem is memfd_secret(2) memory: removed from the kernel's direct map, so not readable
	// through /proc/<pid>/mem, ptrace or kernel bugs that read the direct map. Linux 5.14+, on
	// some kernels only with secretmem.enable=1. Children after fork get no mapping. The kernel
	// keeps these pages out of swap and charges them to RLIMIT_MEMLOCK itself, so Lock does not
	// apply (they count as locked); a region's pages are made resident when it is mapped, and
	// past the limit Alloc fails with an error matching both ErrMemlock and ErrSecretMem.
	SecretMem
)

// Option configures NewArena.
type Option interface{ apply(*config) error }

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

type config struct {
	name       string
	limit      int64
	lock       bool
	guards     bool
	canaries   bool
	backing    Backing
	requirePKU bool
	dedicated  bool
	pendingMax int
}

// Name sets the name used in errors, statistics and violation reports; it must not be empty.
func Name(name string) Option {
	return optionFunc(func(c *config) error {
		if name == "" {
			return fmt.Errorf("Name(\"\"): %w", ErrInvalidOption)
		}
		c.name = name
		return nil
	})
}

// Limit caps the bytes the arena reserves (mapped, excluding guard pages). Zero means no limit.
func Limit(bytes int64) Option {
	return optionFunc(func(c *config) error {
		if bytes < 0 {
			return fmt.Errorf("Limit(%d): %w", bytes, ErrInvalidOption)
		}
		c.limit = bytes
		return nil
	})
}

// Lock chooses whether pages are mlocked (kept out of swap). On by default.
func Lock(on bool) Option { return optionFunc(func(c *config) error { c.lock = on; return nil }) }

// Guards chooses whether each region has PROT_NONE guard pages on both sides. On by default.
func Guards(on bool) Option {
	return optionFunc(func(c *config) error { c.guards = on; return nil })
}

// Canaries chooses whether every object is surrounded by canaries, checked when its slot is
// wiped after Free and by Check; damage is reported by the next Check or Close (ErrCorrupted).
// On by default; off saves 8 bytes per object.
func Canaries(on bool) Option {
	return optionFunc(func(c *config) error { c.canaries = on; return nil })
}

// WithBacking chooses where pages come from (Anonymous by default).
func WithBacking(b Backing) Option {
	return optionFunc(func(c *config) error {
		if b != Anonymous && b != SecretMem {
			return fmt.Errorf("backing %d: %w", b, ErrInvalidOption)
		}
		c.backing = b
		return nil
	})
}

// RequirePKU makes NewArena fail with an error wrapping pkru.ErrNotSupported instead of falling
// back to mprotect, for programs that accept only per-thread isolation.
func RequirePKU() Option {
	return optionFunc(func(c *config) error { c.requirePKU = true; return nil })
}

// DedicatedKey gives the arena a hardware protection key of its own for its whole life (PKU
// mode), instead of a virtual key that is bound while used. Entering a domain then pins nothing:
// Enter+Exit costs what it does without virtualisation (two atomic counter updates less per
// arena; docs/benchmarks.md has figures). The price: the key is never given to
// another arena, NewArena fails with an error wrapping pkru.ErrNoKeys when no key can be had
// (it takes one from an unpinned virtual arena if needed), and Close cannot tell whether
// another thread is inside a domain that grants the arena (it refuses only the calling thread's
// own: see Close). For a few hot arenas that live as long as the domains that use them (a
// service's signing keys); leave per-tenant arenas virtual. Ignored in Mprotect mode.
func DedicatedKey() Option {
	return optionFunc(func(c *config) error { c.dedicated = true; return nil })
}

// PendingBytesMprotect is the bound on freed-but-not-yet-wiped bytes per shard in Mprotect mode:
// past it, Free wipes every shard's at once.
const PendingBytesMprotect = 64 << 10

// PendingBytesPKU is the bound on freed-but-not-yet-wiped bytes per shard in PKU mode: past it,
// Free wipes them at once (a pin and two register writes). It is small because a wipe is cheap
// there; batching is still what keeps Free from switching keys on every call.
const PendingBytesPKU = 4 << 10

// Name returns the arena's name.
func (a *Arena) Name() string { return a.cfg.name }
