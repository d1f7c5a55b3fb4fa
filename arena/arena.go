package arena

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkeyarena/pkeyarena/internal/regions"
	"github.com/pkeyarena/pkeyarena/pkru"
)

var (
	// ErrClosed is returned by every operation on an arena after Close.
	ErrClosed = errors.New("arena closed")
	// ErrInvalidSize is returned for sizes that are zero, negative or too large.
	ErrInvalidSize = errors.New("invalid allocation size")
	// ErrNotAllocated is returned by Free for memory this arena did not hand out, or no longer
	// holds: a double free, a foreign slice, or a sub-slice of an allocation.
	ErrNotAllocated = errors.New("not allocated by this arena")
	// ErrCorrupted is returned when a canary next to an object was overwritten: something wrote
	// past the end or before the start of an allocation.
	ErrCorrupted = errors.New("arena memory corrupted (canary overwritten)")
	// ErrPointers is returned by New and MakeSlice for types that hold Go pointers (pointers,
	// strings, slices, maps, channels, functions, interfaces): arena memory is invisible to the
	// garbage collector.
	ErrPointers = errors.New("type holds Go pointers and cannot live in an arena")
	// ErrLimit is returned when an allocation would take the arena past its Limit.
	ErrLimit = errors.New("arena size limit reached")
	// ErrMemlock is wrapped when locking memory fails (RLIMIT_MEMLOCK); the error says how much
	// was asked and what the limit is.
	ErrMemlock = errors.New("cannot lock arena memory")
	// ErrSecretMem is wrapped when the SecretMem backing is unavailable (kernel without
	// memfd_secret, or secretmem disabled).
	ErrSecretMem = errors.New("memfd_secret backing unavailable")
	// ErrInvalidOption is returned for option values that make no sense.
	ErrInvalidOption = errors.New("invalid arena option")
	// ErrBusy is returned by Close while the arena is open (a domain is inside).
	ErrBusy = errors.New("arena is open")
)

// Mode says how an arena's memory is kept from code that should not see it.
type Mode uint8

const (
	// PKU: pages are tagged with the arena's protection key; access is per thread and switched
	// by writing the thread's rights register (no system call).
	PKU Mode = iota + 1
	// Mprotect: no protection keys; pages are PROT_NONE at rest and opened with mprotect for the
	// whole process while any thread is inside a domain that grants the arena.
	Mprotect
)

func (m Mode) String() string {
	switch m {
	case PKU:
		if softRegister {
			return "softreg (benchmark build: NOTHING IS PROTECTED)"
		}
		return "pku (per-thread)"
	case Mprotect:
		return "mprotect (process-wide)"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Arena is an allocator of memory outside the Go heap, on pages only domains that grant the arena
// can read. All methods are safe for concurrent use. Make one with NewArena: the methods of a
// zero Arena, or of a nil *Arena, panic with "arena: Arena used without NewArena" (Mode reports 0).
type Arena struct {
	cfg    config
	mode   Mode
	vk     *vkey  // PKU mode: the arena's virtual key (vkey.go); nil otherwise
	canary uint64 // secret mixed into every canary

	shards []shard

	// protMu serialises changes of the pages' protection in Mprotect mode (Open, Release,
	// flushes, carving). Lock order: protMu, then a shard, then mu.
	protMu  sync.Mutex
	opens   [pkru.ReadWrite + 1]int // Mprotect mode: domains inside, per access (ReadOnly, ReadWrite)
	curProt int                     // Mprotect mode: the protection the pages have now

	defMu    sync.Mutex
	deferred []error // corruption found by batched wipes, for Check and Close (under defMu)

	// wipeState: wsDirty, a Free left slots pending since the last wipe of all shards; wsWiping,
	// such a wipe (wipeAll, under wipeMu) is under way. An Enter may skip the wipe only when both
	// are clear (clean).
	wipeState atomic.Uint32
	wipeMu    sync.Mutex

	mu      sync.Mutex            // page allocator, region list, closing
	regs    *regions.Set[*region] // sorted by address; lookups take no lock (writers hold mu)
	closed  atomic.Bool
	nextReg int // size of the next region

	lastSlabPages [numClasses]int // Mprotect mode: size of the last slab cut per class (under mu)

	st counters

	cleanup runtime.Cleanup
}

// mustBeMade panics on a zero Arena, whose methods would otherwise fail obscurely.
func (a *Arena) mustBeMade() {
	if a == nil {
		panic("arena: nil *Arena: Arena used without NewArena")
	}
	if a.regs == nil {
		panic("arena: Arena used without NewArena (the zero value is not usable)")
	}
}

type counters struct {
	reserved, locked, flushes atomic.Int64
}

// Stats describes an arena at one moment.
type Stats struct {
	Name     string
	Mode     Mode
	Key      int   // the protection key bound now in PKU mode, -1 when none or in Mprotect mode
	Regions  int   // mapped regions (each 1 VMA plus 2 guard VMAs)
	Reserved int64 // bytes mapped for objects (guard pages excluded)
	Locked   int64 // bytes mlocked
	InUse    int64 // bytes asked for by live allocations
	Objects  int64 // live allocations
	Pending  int64 // bytes freed but not yet wiped
	Allocs   int64 // Alloc calls that succeeded
	Frees    int64 // Free calls that succeeded
	Flushes  int64 // batched wipes of pending frees

	// PKU mode: key virtualisation (vkey.go). A hit is a pin (domain Enter, or the arena's own
	// wipes) that found a key bound; a miss bound one (re-tagging the arena's regions); an
	// eviction took the key away (parking the regions).
	KeyHits, KeyMisses, KeyEvictions int64
}

// NewArena creates an arena; pages are mapped on first use. Keep the Arena reachable, or Close it,
// while its memory is in use: slices do not keep it alive, and the cleanup backstop of an
// unreachable arena unmaps live objects too. In PKU mode the arena gets a virtual protection key,
// bound to a hardware key now if the kernel has one free and later otherwise (key virtualisation,
// see the package doc); it fails with pkru.ErrNoKeys only when the library holds no hardware key at
// all and the kernel has none left (other code took them all).
func NewArena(opts ...Option) (*Arena, error) {
	cfg := config{name: "arena", lock: true, guards: true, canaries: true,
		pendingMax: PendingBytesMprotect}
	for _, o := range opts {
		if err := o.apply(&cfg); err != nil {
			return nil, err
		}
	}
	a := &Arena{cfg: cfg, mode: Mprotect, curProt: protNone, nextReg: firstRegion}
	if softRegister && cfg.requirePKU {
		return nil, fmt.Errorf("arena %q: built with the benchmark tag pkeyarena_softreg, which "+
			"tags no page: %w", cfg.name, pkru.ErrNotSupported)
	}
	if err := pkru.Supported(); err == nil || softRegister {
		a.mode = PKU
	} else if cfg.requirePKU {
		return nil, fmt.Errorf("arena %q: %w", cfg.name, err)
	}
	a.regs = &regions.Set[*region]{}
	if a.mode == PKU {
		vk, err := newVkey(cfg.name, a.regs, cfg.dedicated)
		if err != nil {
			return nil, fmt.Errorf("arena %q: %w", cfg.name, err)
		}
		a.vk = vk
	}
	var seed [8]byte
	rand.Read(seed[:])
	a.canary = binary.LittleEndian.Uint64(seed[:]) | 1
	a.shards = make([]shard, shardCount())
	a.cleanup = runtime.AddCleanup(a, func(c closer) { c.close() }, closer{a.regs, a.vk})
	return a, nil
}

// closer is the backstop for arenas that are never closed: it wipes and unmaps their regions and
// frees their key once the Arena is unreachable. It must not refer to the Arena itself.
type closer struct {
	regs *regions.Set[*region]
	vk   *vkey // nil in Mprotect mode
}

func (c closer) close() {
	if c.vk != nil {
		c.vk.closeKey() // nothing can hold a pin: pins are taken through the Arena
	}
	if hold != nil {
		hold("backstop")
	}
	for _, e := range c.regs.Entries() {
		r := e.Value
		wipeRegion(r) // through the kernel's view: no thread sees the pages open (destroy.go)
		r.unregister()
		unmapRegion(r.mapping.bytes())
	}
	if c.vk != nil {
		c.vk.release()
	}
	if hold != nil {
		hold("backstop done")
	}
}

// Mode reports how the arena is protected.
func (a *Arena) Mode() Mode {
	if a == nil {
		return 0
	}
	return a.mode
}

// Key returns the hardware protection key bound to the arena now, and false in Mprotect mode or
// when it has none. Unless a domain over the arena is inside, the binding may change at any time:
// use it for reports, not to grant access.
func (a *Arena) Key() (pkru.Key, bool) {
	a.mustBeMade()
	if a.vk == nil {
		return 0, false
	}
	return a.vk.key()
}

// pinKey is the mechanism package domain composes for PKU mode (through internal/seam).
//
// It returns the hardware key bound to the arena, binding one first when it has none: a free
// key from the kernel, or else the key of the least recently used arena that nobody has pinned,
// whose pages are parked; the arena's regions are then re-tagged with the key (one
// pkey_mprotect per region of each arena). Until the matching unpinKey the arena keeps that key.
// When every key is pinned, pinKey waits up to wait, or until done is closed, before
// returning ErrKeysPinned. On a closed arena it returns ErrClosed; in Mprotect mode an error
// wrapping pkru.ErrNotSupported. On error nothing is pinned.
//
// Frees still pending are wiped first, so code inside a domain never reads a freed object's
// bytes.
func (a *Arena) pinKey(wait time.Duration, done <-chan struct{}) (pkru.Key, error) {
	if v := a.vk; v != nil { // vkey.pin's fast path, repeated here to save a call per grant
		if !v.dedicated {
			v.stripe().in.Add(1)
		}
		if s := v.state.Load(); s&(stBound|stEvicting|stClosed) == stBound && a.clean() {
			return pkru.Key(s & stKeyMask), nil
		}
		return a.pinSlow(wait, done)
	}
	return 0, a.noKeys()
}

// pinSlow is pinKey when the key is not bound, or frees wait to be wiped.
func (a *Arena) pinSlow(wait time.Duration, done <-chan struct{}) (pkru.Key, error) {
	k, err := a.vk.pinSlowOrHit(wait, done)
	if err != nil {
		return 0, err
	}
	if err := a.wipeAll(); err != nil { // cannot fail with the key pinned but closed meanwhile
		a.vk.unpin()
		a.vk.refused()
		return 0, err
	}
	return k, nil
}

func (a *Arena) noKeys() error {
	return fmt.Errorf("arena %q: a protection key in %v mode: %w",
		a.cfg.name, a.mode, pkru.ErrNotSupported)
}

// fixedKey returns the arena's key and true when it has a dedicated key (DedicatedKey option, PKU
// mode, not closed): that key never changes, so package domain computes its rights once.
func (a *Arena) fixedKey() (pkru.Key, bool) {
	if a.vk == nil || !a.vk.dedicated {
		return 0, false
	}
	return a.vk.key()
}

// unpinKey gives back one pinKey that succeeded. Only package domain pins (through
// internal/seam), always in pairs.
func (a *Arena) unpinKey() {
	if a.vk != nil {
		a.vk.unpin()
	}
}

// Stats returns the arena's current figures.
func (a *Arena) Stats() Stats {
	a.mustBeMade()
	key := -1
	if k, ok := a.Key(); ok {
		key = int(k)
	}
	st := Stats{
		Name: a.cfg.name, Mode: a.mode, Key: key, Regions: a.regs.Len(),
		Reserved: a.st.reserved.Load(), Locked: a.st.locked.Load(), Flushes: a.st.flushes.Load(),
	}
	if a.vk != nil {
		st.KeyHits, st.KeyMisses, st.KeyEvictions = a.vk.stats()
	}
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		st.Allocs += sh.allocs
		st.Frees += sh.frees
		st.Objects += sh.objects
		st.InUse += sh.inUse
		st.Pending += int64(sh.pendingBytes)
		sh.mu.Unlock()
	}
	return st
}

// String names the arena and its mode.
func (a *Arena) String() string { return fmt.Sprintf("arena %q (%v)", a.cfg.name, a.mode) }
