package pkeysys

import (
	"unsafe"

	linux "golang.org/x/sys/unix"
)

// PKEY_DISABLE_ACCESS and PKEY_DISABLE_WRITE are pkey_alloc's access-rights flags (pkeys(7)).
const (
	PKEY_DISABLE_ACCESS = 0x1
	PKEY_DISABLE_WRITE  = 0x2
)

// PkeyAlloc allocates a protection key with the given initial access rights for the calling thread
// (PKEY_DISABLE_ACCESS, PKEY_DISABLE_WRITE, or 0). See pkey_alloc(2).
func PkeyAlloc(flags, rights int) (int, error) {
	r, _, e := linux.Syscall(linux.SYS_PKEY_ALLOC, uintptr(flags), uintptr(rights), 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// PkeyFree frees a protection key. The caller must have retagged or unmapped every page that uses
// it.
func PkeyFree(key int) error {
	if _, _, e := linux.Syscall(linux.SYS_PKEY_FREE, uintptr(key), 0, 0); e != 0 {
		return e
	}
	return nil
}

// PkeyMprotect is mprotect(2) that also tags the pages with key. b must start on a page boundary.
func PkeyMprotect(b []byte, prot, key int) error {
	if len(b) == 0 {
		return nil
	}
	_, _, e := linux.Syscall6(linux.SYS_PKEY_MPROTECT, uintptr(unsafe.Pointer(&b[0])),
		uintptr(len(b)), uintptr(prot), uintptr(key), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
