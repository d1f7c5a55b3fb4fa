//go:build !linux

package unix

import (
	"errors"
	"fmt"
	"os"

	"github.com/awnumar/memcall"
)

// On systems other than Linux the library runs in its mprotect fallback. The names are Linux's,
// for the subset the fallback uses, with github.com/awnumar/memcall behind them
// (mmap/VirtualAlloc, mprotect/VirtualProtect, mlock/VirtualLock). memcall's errors are
// formatted strings; they come back as causes of ErrMemcall, for errors.Is.

// ErrMemcall wraps every error that comes from memcall.
var ErrMemcall = errors.New("memory system call failed")

const (
	PROT_NONE  = 0x0
	PROT_READ  = 0x1
	PROT_WRITE = 0x2

	// The only mappings there are: private and anonymous (NORESERVE is accepted and ignored).
	MAP_PRIVATE   = 0x2
	MAP_ANONYMOUS = 0x20
	MAP_NORESERVE = 0x4000
)

// Getpagesize returns the system's page size.
func Getpagesize() int { return os.Getpagesize() }

// Mmap maps length bytes of private anonymous memory (fd -1, offset 0) with protection prot;
// other mappings fail with an error wrapping errors.ErrUnsupported.
func Mmap(fd int, offset int64, length int, prot int, flags int) ([]byte, error) {
	if fd != -1 || offset != 0 || flags&^MAP_NORESERVE != MAP_PRIVATE|MAP_ANONYMOUS {
		return nil, fmt.Errorf("mmap(fd %d, flags %#x) outside Linux: %w", fd, flags,
			errors.ErrUnsupported)
	}
	b, err := memcall.Alloc(length)
	if err != nil {
		return nil, wrap(err)
	}
	if prot != PROT_READ|PROT_WRITE {
		if err := Mprotect(b, prot); err != nil {
			memcall.Free(b)
			return nil, err
		}
	}
	return b, nil
}

// Munmap wipes and unmaps memory from Mmap.
func Munmap(b []byte) error { return wrap(memcall.Free(b)) }

// Mprotect sets the protection of b to PROT_NONE, PROT_READ or PROT_READ|PROT_WRITE.
func Mprotect(b []byte, prot int) error {
	flag := memcall.NoAccess()
	switch prot {
	case PROT_READ:
		flag = memcall.ReadOnly()
	case PROT_READ | PROT_WRITE:
		flag = memcall.ReadWrite()
	}
	return wrap(memcall.Protect(b, flag))
}

// Mlock keeps b in RAM (and, where memcall can, out of core dumps).
func Mlock(b []byte) error { return wrap(memcall.Lock(b)) }

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return errors.Join(ErrMemcall, err)
}
