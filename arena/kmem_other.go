//go:build !linux

package arena

import (
	"fmt"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// Outside Linux there is no kernel view of the arena's own pages (kmem_linux.go): callers fall
// back to opening the pages, as the Limitations in doc.go say.

func errNoKernelView() error {
	return fmt.Errorf("no /proc/self/mem: %w", pkru.ErrNotSupported)
}

func hasKernelView() bool { return false }

func kernelRead(dst []byte, addr uintptr) error  { return errNoKernelView() }
func kernelWrite(src []byte, addr uintptr) error { return errNoKernelView() }
func kernelZero(addr uintptr, n int) error       { return errNoKernelView() }
