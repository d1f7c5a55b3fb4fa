package pkru

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
)

var (
	// ErrNotSupported is wrapped by every error that means "this CPU, kernel or platform gives no
	// protection keys" (or they were switched off with PKEYARENA_FORCE_FALLBACK).
	ErrNotSupported = errors.New("protection keys not supported")
	// ErrNoKeys means that the kernel supports protection keys but has none left to allocate
	// (pkey_alloc returned ENOSPC). The error also wraps the errno.
	ErrNoKeys = errors.New("no free protection keys")
	// ErrInvalidAccess is returned by Alloc for an Access other than NoAccess, ReadOnly and
	// ReadWrite.
	ErrInvalidAccess = errors.New("invalid access")
	// ErrInvalidKey is returned for a key that cannot be freed or used (the default key 0, a
	// negative key, or one outside the hardware's range).
	ErrInvalidKey = errors.New("invalid protection key")
)

// ForceFallbackEnv names the environment variable that, set to 1, makes [Supported] report
// [ErrNotSupported] on any machine. It is read once, by the first call of [Supported].
const ForceFallbackEnv = "PKEYARENA_FORCE_FALLBACK"

// Key is a protection key number as returned by [Alloc]. The numbers the kernel hands out are not
// predictable: other code in the process may hold some.
type Key int

// Access is what a thread may do with the pages of one key.
type Access uint8

const (
	NoAccess  Access = iota // reads and writes fault
	ReadOnly                // reads work, writes fault
	ReadWrite               // reads and writes work
)

// String returns "none", "ro" or "rw".
func (a Access) String() string {
	switch a {
	case NoAccess:
		return "none"
	case ReadOnly:
		return "ro"
	case ReadWrite:
		return "rw"
	}
	return fmt.Sprintf("Access(%d)", uint8(a))
}

// Rights is a value of the rights register: two bits per key, one that denies access (or reads)
// and one that denies writes, at positions that depend on the architecture (x86-64 PKRU: key k at
// bit 2k; POWER AMR: key k at bit 2*(31-k)). Build values with With and compare them with Mask;
// the raw bits are for display.
type Rights uint64

// AllowAll is the register value that lets every key read and write.
const AllowAll Rights = 0

const (
	// keyBits covers the two bits each key has in the register (see shift for where).
	keyBits = 3
	// registerDigits is how many hex digits String prints: the whole register, leading zeros
	// kept, so that values of one architecture line up.
	registerDigits = registerWidth / 4
)

func validKey(k Key) bool { return k >= 0 && k < NumKeys }

// With returns r with key k's bits set to a, all other bits untouched. NoAccess sets only the
// access-disable bit, as the kernel does. With panics if k is outside 0..NumKeys-1.
func (r Rights) With(k Key, a Access) Rights {
	if !validKey(k) {
		panic(fmt.Sprintf("pkru.Rights.With: key %d out of range 0..%d", k, NumKeys-1))
	}
	sh := shift(k)
	r &^= keyBits << sh
	switch a {
	case NoAccess:
		r |= denyBits << sh
	case ReadOnly:
		r |= readOnlyBits << sh
	case ReadWrite:
	default:
		panic(fmt.Sprintf("pkru.Rights.With: invalid access %d", a))
	}
	return r
}

// Access returns what r lets a thread do with the pages of key k.
func (r Rights) Access(k Key) Access {
	if !validKey(k) {
		panic(fmt.Sprintf("pkru.Rights.Access: key %d out of range 0..%d", k, NumKeys-1))
	}
	switch (r >> shift(k)) & keyBits {
	case 0:
		return ReadWrite
	case readOnlyBits:
		return ReadOnly
	}
	return NoAccess // access (or read) disabled, with or without writes
}

// Mask returns the bits of r that belong to key k; use it to compare or restore only the keys
// one owns.
func Mask(k Key) Rights {
	if !validKey(k) {
		panic(fmt.Sprintf("pkru.Mask: key %d out of range 0..%d", k, NumKeys-1))
	}
	return keyBits << shift(k)
}

// String shows the raw value and every key's access, with runs of keys that have the same access
// folded: "0x55555550 [0-1:rw 2-15:none]".
func (r Rights) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%#0*x [", registerDigits, uint64(r))
	start := 0
	for k := 1; k <= NumKeys; k++ {
		if k < NumKeys && r.Access(Key(k)) == r.Access(Key(start)) {
			continue
		}
		if start > 0 {
			b.WriteByte(' ')
		}
		if k-1 == start {
			fmt.Fprintf(&b, "%d:%s", start, r.Access(Key(start)))
		} else {
			fmt.Fprintf(&b, "%d-%d:%s", start, k-1, r.Access(Key(start)))
		}
		start = k
	}
	b.WriteByte(']')
	return b.String()
}

var supported = sync.OnceValue(func() error {
	if os.Getenv(ForceFallbackEnv) == "1" {
		return fmt.Errorf("%w: switched off by %s=1", ErrNotSupported, ForceFallbackEnv)
	}
	return probe()
})

// Supported reports whether protection keys can be used here: nil, or an error that wraps
// [ErrNotSupported] and says why (CPU lacks PKU, kernel did not enable it, pkey_alloc refused,
// platform without a register layer, or switched off by PKEYARENA_FORCE_FALLBACK). The probe runs
// once; later calls return the cached answer.
func Supported() error { return supported() }

// Read returns the calling thread's rights register. It panics where the CPU has no enabled
// register (check [Supported] first).
func Read() Rights {
	if !hasRegister {
		panic(noRegister)
	}
	return readRegister()
}

// Write sets the calling thread's rights register to r. The calling goroutine must hold
// runtime.LockOSThread for the value to mean anything. It panics where the CPU has no enabled
// register (check [Supported] first).
func Write(r Rights) {
	if !hasRegister {
		panic(noRegister)
	}
	writeRegister(r)
}

const noRegister = "pkru: this CPU or platform has no enabled protection-key register " +
	"(check pkru.Supported first)"
