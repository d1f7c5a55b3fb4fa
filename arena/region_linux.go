package arena

import (
	"errors"
	"fmt"

	"github.com/pkeyarena/pkeyarena/internal/fault"
	"github.com/pkeyarena/pkeyarena/internal/unix"
	"github.com/pkeyarena/pkeyarena/pkru"
)

var pageSize = unix.Getpagesize()

// errNoMemory is the kernel's refusal to map or lock more memory.
var errNoMemory error = unix.ENOMEM

// mapRegion maps size usable bytes (a multiple of the page size) between two PROT_NONE guard
// pages (when guards), excluded from core dumps and wiped in forked children, read-write and
// tagged with key 0. It returns the whole mapping and the usable part.
func mapRegion(size int, guards bool, backing Backing) (mapping, mem []byte, err error) {
	g := 0
	if guards {
		g = pageSize
	}
	total := size + 2*g
	switch backing {
	case Anonymous:
		mapping, err = unix.Mmap(-1, 0, total, unix.PROT_NONE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
		if err != nil {
			return nil, nil, fmt.Errorf("mmap %d bytes: %w", total, err)
		}
		mem = mapping[g : g+size]
		if err := unix.Mprotect(mem, unix.PROT_READ|unix.PROT_WRITE); err != nil {
			unix.Munmap(mapping)
			return nil, nil, fmt.Errorf("mprotect: %w", err)
		}
	case SecretMem:
		mapping, mem, err = mapSecret(size, g)
		if err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("backing %d: %w", backing, ErrInvalidOption)
	}
	if err := unix.Madvise(mapping, unix.MADV_DONTDUMP); err != nil {
		unix.Munmap(mapping)
		return nil, nil, fmt.Errorf("madvise(MADV_DONTDUMP): %w", err)
	}
	fork, forked := unix.MADV_WIPEONFORK, mem // children see zeros
	if backing == SecretMem {
		// Shared mappings cannot be wiped on fork: children get none of it, guard pages
		// included, since those are the secret file's pages too (a child holding them would keep
		// the file, and its secrets, alive after Close).
		fork, forked = unix.MADV_DONTFORK, mapping
	}
	if err := unix.Madvise(forked, fork); err != nil {
		if fork == unix.MADV_WIPEONFORK && errors.Is(err, unix.EINVAL) { // kernels before 4.14
			err = unix.Madvise(mem, unix.MADV_DONTFORK)
		}
		if err != nil {
			unix.Munmap(mapping)
			return nil, nil, fmt.Errorf("madvise(wipe/dont fork): %w", err)
		}
	}
	return mapping, mem, nil
}

// mapSecret maps size bytes of memfd_secret(2) memory (removed from the kernel's direct map)
// between guard pages of g bytes. The guards are pages of the same mapping made PROT_NONE: one
// mapping where the kernel chooses, so that a failure (RLIMIT_MEMLOCK, say) leaves nothing to
// clean up. Mapping the file over a reservation with MAP_FIXED would not: a MAP_FIXED that fails
// has unmapped its target already, and another thread's mmap can take the hole before the
// reservation is unmapped. The guards are never touched, so they are never resident, but the
// kernel counts them against RLIMIT_MEMLOCK with the rest. The pages are populated at once (all
// of them are locked memory, as Lock's are): some kernels (6.1, for one) enforce RLIMIT_MEMLOCK on
// secret memory only when a page is first touched, with SIGBUS, and touching them here turns
// that into an error. (MADV_POPULATE_WRITE would be one call, but the kernel refuses it for
// secret memory.)
func mapSecret(size, g int) (mapping, mem []byte, err error) {
	fd, err := unix.MemfdSecret(0)
	if err != nil {
		return nil, nil, fmt.Errorf("memfd_secret: %w (%w)", ErrSecretMem, err)
	}
	defer unix.Close(fd)
	total := size + 2*g
	if err := unix.Ftruncate(fd, int64(total)); err != nil {
		return nil, nil, fmt.Errorf("ftruncate of the secret memory file: %w", err)
	}
	mapping, err = unix.Mmap(fd, 0, total, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap of %d bytes of secret memory: %w (%w)",
			total, ErrSecretMem, err)
	}
	if g > 0 {
		for _, guard := range [][]byte{mapping[:g], mapping[g+size:]} {
			if err := unix.Mprotect(guard, unix.PROT_NONE); err != nil {
				unix.Munmap(mapping)
				return nil, nil, fmt.Errorf("mprotect of a guard page: %w", err)
			}
		}
	}
	mem = mapping[g : g+size]
	if err := populate(mem); err != nil {
		unix.Munmap(mapping)
		return nil, nil, fmt.Errorf("populating %d bytes of secret memory: %w (%w)",
			size, ErrSecretMem, err)
	}
	return mapping, mem, nil
}

// populate touches every page of mem (fresh, read-write, zero), reporting a page the kernel
// refuses (SIGBUS) as EFAULT rather than crashing.
func populate(mem []byte) error {
	off := 0
	touch := func() {
		for ; off < len(mem); off += pageSize {
			mem[off] = 0
		}
	}
	if f := fault.Catch(touch, nil); f != nil {
		return fmt.Errorf("the kernel refused the page at offset %d: %w", off, unix.EFAULT)
	}
	return nil
}

func unmapRegion(mapping []byte) error {
	if err := unix.Munmap(mapping); err != nil {
		return fmt.Errorf("munmap: %w", err)
	}
	return nil
}

// lockRegion mlocks mem, explaining RLIMIT_MEMLOCK failures.
func lockRegion(mem []byte, lockedBefore int64) error {
	err := unix.Mlock(mem)
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.ENOMEM) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EAGAIN) {
		return memlockError("mlock", len(mem), lockedBefore, "or use Lock(false)", err)
	}
	return fmt.Errorf("mlock: %w", err)
}

// explainMapFailure turns a failure of secret memory past RLIMIT_MEMLOCK (its pages are always
// locked: the kernel refuses the mapping with EAGAIN, or older kernels refuse to populate it
// with EFAULT) into an error wrapping both ErrMemlock and ErrSecretMem, with the limit and the
// fix.
func explainMapFailure(err error, size int, lockedBefore int64) error {
	var cause unix.Errno
	if !errors.Is(err, ErrSecretMem) || !errors.As(err, &cause) ||
		(cause != unix.EAGAIN && cause != unix.EFAULT) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrSecretMem, memlockError("secret memory", size, lockedBefore,
		"or use the Anonymous backing with Lock(false) (secret memory is always locked)",
		cause))
}

// memlockError explains a failure to lock n more bytes: the limit, what was asked for, the fix.
func memlockError(what string, n int, lockedBefore int64, alternative string, err error) error {
	var lim unix.Rlimit
	limit := "unknown"
	if unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim) == nil {
		limit = fmt.Sprintf("%d bytes", lim.Cur)
	}
	return fmt.Errorf("%s of %d bytes (this arena already holds %d locked): %w: RLIMIT_MEMLOCK "+
		"is %s; raise it (ulimit -l, LimitMEMLOCK=) or grant CAP_IPC_LOCK, %s (%w)",
		what, n, lockedBefore, ErrMemlock, limit, alternative, err)
}

// protect sets the protection (and, with key > 0, the tag) of mem.
func protect(mem []byte, prot int, key pkru.Key) error {
	if key > 0 {
		return pkru.Protect(mem, prot, key)
	}
	if err := unix.Mprotect(mem, prot); err != nil {
		return fmt.Errorf("mprotect(%d bytes, %#x): %w", len(mem), prot, err)
	}
	return nil
}

const (
	protNone = unix.PROT_NONE
	protRead = unix.PROT_READ
	protRW   = unix.PROT_READ | unix.PROT_WRITE
)

// discardPages drops mem's contents without opening it: private anonymous pages read back as
// zeros, and secret memory is zeroed by the kernel when its last mapping goes. For Close: the
// pages are unlocked first, as locked pages cannot be discarded on every kernel.
func discardPages(mem []byte) error {
	unix.Munlock(mem) // unlocking alone writes nothing
	if err := unix.Madvise(mem, unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("madvise(MADV_DONTNEED) of %d bytes: %w", len(mem), err)
	}
	return nil
}

// dropPages drops the contents of private anonymous pages (they read back as zeros) without
// writing them, so that pages never touched are not committed; locked pages stay locked
// (MADV_DONTNEED_LOCKED, Linux 5.18; older kernels refuse it and the caller writes zeros).
func dropPages(mem []byte, locked bool) error {
	advice := unix.MADV_DONTNEED
	if locked {
		advice = unix.MADV_DONTNEED_LOCKED
	}
	if err := unix.Madvise(mem, advice); err != nil {
		return fmt.Errorf("madvise(%d) of %d bytes: %w", advice, len(mem), err)
	}
	return nil
}
