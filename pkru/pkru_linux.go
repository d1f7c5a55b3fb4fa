package pkru

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/pkeyarena/pkeyarena/internal/pkeysys"
	"github.com/pkeyarena/pkeyarena/internal/unix"
)

// pkeyAllocFlags is pkey_alloc's flags argument, which is reserved and must be 0.
const pkeyAllocFlags = 0

func probe() error {
	if err := registerProbe(); err != nil {
		return err
	}
	k, err := pkeysys.PkeyAlloc(pkeyAllocFlags, pkeysys.PKEY_DISABLE_ACCESS)
	switch {
	case err == nil:
		if err := pkeysys.PkeyFree(k); err != nil {
			return fmt.Errorf("%w: pkey_free of the probe key %d: %w", ErrNotSupported, k, err)
		}
		return nil
	case errors.Is(err, unix.ENOSPC):
		// The kernel does support keys (amd64: OSPKE is set): they are all taken by other code.
		// Alloc will report ErrNoKeys until some are freed. (POWER's radix MMU also answers
		// ENOSPC, for want of keys altogether: registerProbe rules that out first.)
		return nil
	default:
		return fmt.Errorf("%w: pkey_alloc probe: %w", ErrNotSupported, err)
	}
}

func rightsFlags(a Access) (int, error) {
	switch a {
	case NoAccess:
		return pkeysys.PKEY_DISABLE_ACCESS, nil
	case ReadOnly:
		return pkeysys.PKEY_DISABLE_WRITE, nil
	case ReadWrite:
		return 0, nil
	}
	return 0, fmt.Errorf("pkru.Alloc(%d): %w", a, ErrInvalidAccess)
}

// Alloc allocates a protection key. The calling thread gets access a to it; every other thread
// keeps the kernel's default for unallocated keys, which denies all access. Pass NoAccess unless
// the goroutine holds runtime.LockOSThread, since the scheduler may move it afterwards.
//
// It returns an error wrapping [ErrNoKeys] (and unix ENOSPC) when the keys are exhausted,
// [ErrNotSupported] when [Supported] says no, or [ErrInvalidAccess] for an invalid a.
func Alloc(a Access) (Key, error) {
	flags, err := rightsFlags(a)
	if err != nil {
		return 0, err
	}
	if err := Supported(); err != nil {
		return 0, err
	}
	// pkey_alloc sets a for this thread; noteAlloc must record it on the same one.
	runtime.LockOSThread()
	k, err := pkeysys.PkeyAlloc(pkeyAllocFlags, flags)
	if err == nil {
		noteAlloc(Key(k), a)
	}
	runtime.UnlockOSThread()
	if err != nil {
		if errors.Is(err, unix.ENOSPC) {
			return 0, fmt.Errorf("pkey_alloc: %w (%w)", ErrNoKeys, err)
		}
		return 0, fmt.Errorf("pkey_alloc: %w", err)
	}
	return Key(k), nil
}

// Free returns k to the kernel. Every page tagged with k must be unmapped or retagged first
// (pkeys(7): freeing a key still in use is undefined). Freeing key 0 is an error.
//
// pkey_free leaves every thread's rights as they are, and the kernel hands the number out again
// with them, to this package or to any other code in the process. So Free first denies k on the
// calling thread (a key allocated with ReadWrite is open there). Other threads that were given
// access must have it taken away by whoever gave it, before Free.
//
// Free only keys this code allocated: a key package arena holds (Arena.Key reports it) belongs to
// it, and freeing it, or re-tagging its pages with Protect, undoes the arena's isolation.
func (k Key) Free() error {
	if k <= 0 || k >= NumKeys {
		return fmt.Errorf("pkey_free(%d): %w", k, ErrInvalidKey)
	}
	if Supported() == nil {
		denyHere(k)
	}
	if err := pkeysys.PkeyFree(int(k)); err != nil {
		return fmt.Errorf("pkey_free(%d): %w", k, err)
	}
	return nil
}

// Protect sets the protection of the pages of b (which must start on a page boundary) to prot
// (PROT_NONE or an OR of PROT_READ, PROT_WRITE) and tags them with key k (pkey_mprotect(2)). Key 0
// retags pages to the default key. Without kernel support for keys, every key including 0 is
// rejected with EINVAL (the kernel marks key 0 allocated only when it enabled PKU): use plain
// mprotect there.
func Protect(b []byte, prot int, k Key) error {
	if k < 0 || k >= NumKeys {
		return fmt.Errorf("pkey_mprotect: key %d: %w", k, ErrInvalidKey)
	}
	if err := pkeysys.PkeyMprotect(b, prot, int(k)); err != nil {
		var addr *byte
		if len(b) > 0 {
			addr = &b[0]
		}
		return fmt.Errorf("pkey_mprotect(%p, %d, %#x, key %d): %w", addr, len(b), prot, k, err)
	}
	return nil
}

// denyHere takes every right to k from the calling thread.
func denyHere(k Key) {
	runtime.LockOSThread() // nests: a caller that holds the thread keeps it
	defer runtime.UnlockOSThread()
	if r := readRegister(); r.Access(k) != NoAccess {
		writeRegister(r.With(k, NoAccess))
	}
}
