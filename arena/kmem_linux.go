package arena

import (
	"fmt"
	"sync"

	"github.com/pkeyarena/pkeyarena/internal/unix"
)

// The kernel's view of the arena's own pages. Reads and writes through /proc/self/mem are the
// kernel's forced access: they ignore PROT_NONE and protection keys, and the bytes travel only
// between the kernel and the calling thread's buffer. So work on protected bytes that no
// per-thread opening can do (Mprotect mode has none; a parked PKU arena has no key) goes this
// way, and the pages' protection never changes: no other thread sees them open.

var procMem = sync.OnceValues(func() (int, error) {
	fd, err := unix.Open("/proc/self/mem", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /proc/self/mem: %w", err)
	}
	if err := probeForcedAccess(fd); err != nil { // proc_mem.force_override=never, say
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
})

// probeForcedAccess writes and reads back a byte of a PROT_NONE page through fd: opening the
// file is not enough, since the kernel can refuse forced access.
func probeForcedAccess(fd int) error {
	page, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return fmt.Errorf("mmap of a probe page: %w", err)
	}
	defer unix.Munmap(page)
	addr := int64(addrOf(page))
	in, out := []byte{0x5a}, []byte{0}
	if _, err := unix.Pwrite(fd, in, addr); err != nil {
		return fmt.Errorf("/proc/self/mem refuses forced writes: %w", err)
	}
	if _, err := unix.Pread(fd, out, addr); err != nil || out[0] != in[0] {
		return fmt.Errorf("/proc/self/mem refuses forced reads (%v)", err)
	}
	return nil
}

// hasKernelView reports whether the kernel's view can be used.
func hasKernelView() bool {
	_, err := procMem()
	return err == nil
}

// kernelRead copies len(dst) protected bytes at addr into dst.
func kernelRead(dst []byte, addr uintptr) error { return kernelIO(unix.Pread, "read", dst, addr) }

// kernelWrite copies src over the protected bytes at addr.
func kernelWrite(src []byte, addr uintptr) error {
	return kernelIO(unix.Pwrite, "write", src, addr)
}

// kernelIO runs pread or pwrite of b at addr on /proc/self/mem.
func kernelIO(op func(int, []byte, int64) (int, error), what string, b []byte, addr uintptr) error {
	fd, err := procMem()
	if err != nil {
		return err
	}
	n, err := op(fd, b, int64(addr))
	if err == nil && n != len(b) {
		err = fmt.Errorf("short %s of %d of %d bytes at %#x", what, n, len(b), addr)
	}
	if err != nil {
		return fmt.Errorf("%s of protected bytes through /proc/self/mem: %w", what, err)
	}
	return nil
}

// zeros is the source of kernelZero's writes; it is never written, so it stays the kernel's
// shared zero page.
var zeros [64 << 10]byte

// kernelZero wipes n protected bytes at addr.
func kernelZero(addr uintptr, n int) error {
	for n > 0 {
		c := min(n, len(zeros))
		if err := kernelWrite(zeros[:c], addr); err != nil {
			return err
		}
		addr, n = addr+uintptr(c), n-c
	}
	return nil
}
