package pkru_test

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// Protect tags whole pages with a key; from then on the key's rights in each thread's register
// decide who can touch them, on top of the page protection.
func ExampleProtect() {
	k, err := pkru.Alloc(pkru.NoAccess)
	if err != nil {
		fmt.Println(err) // no keys here: use plain mprotect
		return
	}
	defer k.Free() // after the pages are unmapped (defers run last-in first)
	pages, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer unix.Munmap(pages)
	if err := pkru.Protect(pages, unix.PROT_READ|unix.PROT_WRITE, k); err != nil {
		fmt.Println(err)
		return
	}
	// Every thread now faults on pages until it grants itself k with pkru.Write.
}
