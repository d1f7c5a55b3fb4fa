//go:build !linux

package arena

import (
	"fmt"

	"github.com/pkeyarena/pkeyarena/internal/unix"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// Outside Linux there are no protection keys (pkru.Supported says so), except AIX user keys
// (untested), and the arena runs in Mprotect mode over memcall. MADV_DONTDUMP and MADV_WIPEONFORK
// have no portable equivalent: memcall.Lock asks for what the system offers.

var pageSize = unix.Getpagesize()

// errNoMemory wraps memcall's failures, whose causes have no portable errno.
var errNoMemory = unix.ErrMemcall

const (
	protNone = unix.PROT_NONE
	protRead = unix.PROT_READ
	protRW   = unix.PROT_READ | unix.PROT_WRITE
)

func mapRegion(size int, guards bool, backing Backing) (mapping, mem []byte, err error) {
	if backing == SecretMem {
		return nil, nil, fmt.Errorf("memfd_secret is Linux-only: %w", ErrSecretMem)
	}
	g := 0
	if guards {
		g = pageSize
	}
	mapping, err = unix.Mmap(-1, 0, size+2*g, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, nil, fmt.Errorf("allocating %d bytes: %w", size+2*g, err)
	}
	if g > 0 {
		for _, guard := range [][]byte{mapping[:g], mapping[g+size:]} {
			if err := unix.Mprotect(guard, unix.PROT_NONE); err != nil {
				unix.Munmap(mapping)
				return nil, nil, fmt.Errorf("guard page: %w", err)
			}
		}
	}
	return mapping, mapping[g : g+size], nil
}

func unmapRegion(mapping []byte) error { return unix.Munmap(mapping) }

func lockRegion(mem []byte, lockedBefore int64) error {
	if err := unix.Mlock(mem); err != nil {
		return fmt.Errorf("locking %d bytes (this arena already holds %d locked): %w (%w)",
			len(mem), lockedBefore, ErrMemlock, err)
	}
	return nil
}

func protect(mem []byte, prot int, key pkru.Key) error {
	if key > 0 { // AIX user keys; elsewhere pkru.Protect reports ErrNotSupported
		return pkru.Protect(mem, prot, key)
	}
	return unix.Mprotect(mem, prot)
}

// explainMapFailure adds nothing outside Linux (no secret memory).
func explainMapFailure(err error, size int, lockedBefore int64) error { return err }

// dropPages is not available outside Linux: callers write zeros.
func dropPages(mem []byte, locked bool) error {
	return fmt.Errorf("dropping pages: %w", pkru.ErrNotSupported)
}

// discardPages wipes mem on systems without a kernel view of it (kmem_other.go): the pages are
// opened for the moment of the wipe (doc.go, Limitations).
func discardPages(mem []byte) error {
	if err := unix.Mprotect(mem, protRW); err != nil {
		return err
	}
	clear(mem)
	return unix.Mprotect(mem, protNone)
}
