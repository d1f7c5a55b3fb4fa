//go:build !linux

package unix

import (
	"errors"
	"os"

	"github.com/awnumar/memcall"
)

// On systems other than Linux the library runs in its mprotect fallback through
// github.com/awnumar/memcall (mmap/VirtualAlloc, mprotect/VirtualProtect, mlock/VirtualLock).
// memcall's errors are formatted strings; these wrappers keep them as causes of ErrMemcall so
// callers can test with errors.Is.

// ErrMemcall wraps every error that comes from memcall.
var ErrMemcall = errors.New("memory system call failed")

const (
	PROT_NONE  = 0x0
	PROT_READ  = 0x1
	PROT_WRITE = 0x2
)

// Getpagesize returns the system's page size.
func Getpagesize() int { return os.Getpagesize() }

// AllocPages maps n bytes of read-write memory.
func AllocPages(n int) ([]byte, error) {
	b, err := memcall.Alloc(n)
	return b, wrap(err)
}

// FreePages wipes and unmaps memory from AllocPages.
func FreePages(b []byte) error { return wrap(memcall.Free(b)) }

// ProtectPages sets the protection of b to PROT_NONE, PROT_READ or PROT_READ|PROT_WRITE.
func ProtectPages(b []byte, prot int) error {
	flag := memcall.NoAccess()
	switch prot {
	case PROT_READ:
		flag = memcall.ReadOnly()
	case PROT_READ | PROT_WRITE:
		flag = memcall.ReadWrite()
	}
	return wrap(memcall.Protect(b, flag))
}

// LockPages keeps b in RAM (and, where memcall can, out of core dumps).
func LockPages(b []byte) error { return wrap(memcall.Lock(b)) }

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return errors.Join(ErrMemcall, err)
}
