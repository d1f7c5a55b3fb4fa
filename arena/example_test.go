package arena_test

import (
	"errors"
	"fmt"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/pkru"
)

func ExampleNewArena() {
	keys, err := arena.NewArena(arena.Name("tls-keys"), arena.Limit(1<<20))
	if err != nil {
		fmt.Println(err) // e.g. pkru.ErrNoKeys when the process has no protection key left
		return
	}
	defer keys.Close()
	fmt.Println(keys.Name())
	// Output: tls-keys
}

func ExampleArena_Alloc() {
	keys, _ := arena.NewArena()
	defer keys.Close()
	secret, err := keys.Alloc(32) // zeroed; readable only inside a domain that grants keys
	if err != nil {
		fmt.Println(err)
		return
	}
	d, _ := domain.New(domain.ReadWrite(keys))
	d.Do(func() error {
		copy(secret, "correct horse battery staple")
		return nil
	})
	fmt.Println(len(secret), keys.Stats().Objects)
	// Output: 32 1
}

func ExampleArena_Free() {
	keys, _ := arena.NewArena()
	defer keys.Close()
	secret, _ := keys.Alloc(32)
	fmt.Println(keys.Free(secret))                                   // wiped in a batch, before reuse
	fmt.Println(errors.Is(keys.Free(secret), arena.ErrNotAllocated)) // a double free is refused
	// Output:
	// <nil>
	// true
}

func ExampleNew() {
	type ed25519Key struct{ Seed [32]byte }
	keys, _ := arena.NewArena()
	defer keys.Close()
	k, err := arena.New[ed25519Key](keys)
	fmt.Println(k != nil, err)

	type bad struct{ Name string } // a string is a Go pointer: refused
	_, err = arena.New[bad](keys)
	fmt.Println(errors.Is(err, arena.ErrPointers))
	// Output:
	// true <nil>
	// true
}

func ExampleMakeSlice() {
	keys, _ := arena.NewArena()
	defer keys.Close()
	roundKeys, err := arena.MakeSlice[uint32](keys, 60, 60) // an AES-256 key schedule
	fmt.Println(len(roundKeys), err)
	fmt.Println(arena.FreeSlice(keys, roundKeys))
	// Output:
	// 60 <nil>
	// <nil>
}

func ExampleFreeValue() {
	keys, _ := arena.NewArena()
	defer keys.Close()
	k, _ := arena.New[[32]byte](keys)
	fmt.Println(arena.FreeValue(keys, k))
	// Output: <nil>
}

func ExampleFreeSlice() {
	keys, _ := arena.NewArena()
	defer keys.Close()
	s, _ := arena.MakeSlice[byte](keys, 0, 64)
	fmt.Println(arena.FreeSlice(keys, s))
	// Output: <nil>
}

func ExampleArena_Check() {
	keys, _ := arena.NewArena()
	defer keys.Close()
	keys.Alloc(16)
	fmt.Println(keys.Check()) // nil while no object's canaries were overwritten
	// Output: <nil>
}

func ExampleArena_Close() {
	keys, _ := arena.NewArena()
	keys.Alloc(32)
	fmt.Println(keys.Close()) // wipes, unmaps, frees the key
	_, err := keys.Alloc(32)
	fmt.Println(errors.Is(err, arena.ErrClosed))
	// Output:
	// <nil>
	// true
}

func ExampleArena_Stats() {
	keys, _ := arena.NewArena()
	defer keys.Close()
	for i := 0; i < 1000; i++ {
		keys.Alloc(32)
	}
	st := keys.Stats()
	fmt.Println(st.Objects, st.InUse, st.Regions)
	// Output: 1000 32000 1
}

func ExampleArena_Mode() {
	keys, _ := arena.NewArena()
	defer keys.Close()
	switch keys.Mode() {
	case arena.PKU:
		// per-thread isolation
	case arena.Mprotect:
		// process-wide, temporal protection only
	}
}

func ExampleArena_Open() {
	// Open and Release are what package domain uses in Mprotect mode; use domain instead.
	keys, _ := arena.NewArena()
	defer keys.Close()
	d, _ := domain.New(domain.ReadOnly(keys))
	d.Do(func() error { return nil })
}

func ExampleRequirePKU() {
	keys, err := arena.NewArena(arena.RequirePKU())
	if err != nil {
		fmt.Println("refusing to run without protection keys")
		return
	}
	keys.Close()
}

func ExampleWithBacking() {
	keys, _ := arena.NewArena(arena.WithBacking(arena.SecretMem)) // out of the kernel's direct map
	defer keys.Close()
	if _, err := keys.Alloc(32); errors.Is(err, arena.ErrSecretMem) {
		fmt.Println("this kernel has no memfd_secret")
	}
}

// Keys tells how often arenas had to take keys from each other.
func ExampleKeys() {
	st := arena.Keys()
	fmt.Println(st.Keys <= pkru.NumKeys, st.Retags >= 0)
	// Output: true true
}

// A few hot arenas take a dedicated key: entering their domains pins nothing. Per-tenant arenas
// stay virtual.
func ExampleDedicatedKey() {
	signing, err := arena.NewArena(arena.Name("signing-keys"), arena.DedicatedKey())
	if err != nil {
		fmt.Println(err) // pkru.ErrNoKeys: every key is dedicated or pinned
		return
	}
	defer signing.Close()
	_, bound := signing.Key() // in PKU mode, for the arena's whole life
	fmt.Println(bound == (signing.Mode() == arena.PKU))
	// Output: true
}

// A name appears in every error, statistic and violation report of the arena.
func ExampleName() {
	keys, _ := arena.NewArena(arena.Name("session-keys"))
	defer keys.Close()
	_, err := keys.Alloc(0)
	fmt.Println(err)
	// Output: arena "session-keys": Alloc(0): invalid allocation size
}

// A limit caps what the arena maps; past it Alloc fails, and what was allocated stays usable.
func ExampleLimit() {
	small, _ := arena.NewArena(arena.Limit(64 << 10))
	defer small.Close()
	_, err := small.Alloc(1 << 20)
	fmt.Println(errors.Is(err, arena.ErrLimit))
	// Output: true
}

// Unlocked pages may be swapped out: for tests, or for processes with a tiny RLIMIT_MEMLOCK that
// accept the risk. Locking is on by default, and an arena past the limit says so (ErrMemlock).
func ExampleLock() {
	scratch, _ := arena.NewArena(arena.Lock(false))
	defer scratch.Close()
	scratch.Alloc(32)
	fmt.Println(scratch.Stats().Locked)
	// Output: 0
}

// Guard pages cost address space, not memory; turning them off only makes sense where
// mappings are scarce.
func ExampleGuards() {
	dense, _ := arena.NewArena(arena.Guards(false))
	defer dense.Close()
	_, err := dense.Alloc(32)
	fmt.Println(err)
	// Output: <nil>
}

// Without canaries an overflow into the next object goes unnoticed; they cost 8 bytes per object.
func ExampleCanaries() {
	bare, _ := arena.NewArena(arena.Canaries(false))
	defer bare.Close()
	_, err := bare.Alloc(32)
	fmt.Println(err, bare.Check())
	// Output: <nil> <nil>
}

// Key reports the hardware key a PKU-mode arena holds now: virtual keys come and go with use.
func ExampleArena_Key() {
	keys, _ := arena.NewArena()
	defer keys.Close()
	if k, ok := keys.Key(); ok {
		fmt.Println("bound to protection key", k)
	} else {
		fmt.Println("no key now: the next domain entered over it binds one, or Mprotect mode")
	}
}
