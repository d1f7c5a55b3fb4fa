package arena

import (
	"errors"
	"fmt"

	"github.com/pkeyarena/pkeyarena/internal/unix"
	"github.com/pkeyarena/pkeyarena/pkru"
)

var pageSize = unix.Getpagesize()

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
		mapping, err = unix.Mmap(-1, 0, total, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
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
	fork := unix.MADV_WIPEONFORK // children see zeros
	if backing == SecretMem {
		fork = unix.MADV_DONTFORK // shared mappings cannot be wiped on fork: children get no mapping
	}
	if err := unix.Madvise(mem, fork); err != nil {
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
// between guard pages of g bytes.
func mapSecret(size, g int) (mapping, mem []byte, err error) {
	fd, err := unix.MemfdSecret(0)
	if err != nil {
		return nil, nil, fmt.Errorf("memfd_secret: %w (%w)", ErrSecretMem, err)
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		return nil, nil, fmt.Errorf("ftruncate of the secret memory file: %w", err)
	}
	mapping, err = unix.Mmap(-1, 0, size+2*g, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap guard reservation: %w", err)
	}
	mem = mapping[g : g+size]
	if err := unix.MmapFixed(mem, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED, fd); err != nil {
		unix.Munmap(mapping)
		return nil, nil, fmt.Errorf("mmap of the secret memory file: %w (%w)", ErrSecretMem, err)
	}
	return mapping, mem, nil
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
		var lim unix.Rlimit
		limit := "unknown"
		if unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim) == nil {
			limit = fmt.Sprintf("%d bytes", lim.Cur)
		}
		return fmt.Errorf("mlock of %d bytes (this arena already holds %d locked): %w: RLIMIT_MEMLOCK is %s; raise it (ulimit -l, LimitMEMLOCK=) or grant CAP_IPC_LOCK, or use Lock(false) (%w)",
			len(mem), lockedBefore, ErrMemlock, limit, err)
	}
	return fmt.Errorf("mlock: %w", err)
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
// zeros, and secret memory is zeroed by the kernel when its last mapping goes.
func discardPages(mem []byte) error {
	unix.Munlock(mem) // locked pages cannot be discarded; unlocking them alone writes nothing
	if err := unix.Madvise(mem, unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("madvise(MADV_DONTNEED) of %d bytes: %w", len(mem), err)
	}
	return nil
}
