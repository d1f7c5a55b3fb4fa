//go:build !linux && !aix

package pkru

import (
	"fmt"
	"runtime"
)

func probe() error {
	return fmt.Errorf("%w: no protection-key layer for %s/%s", ErrNotSupported,
		runtime.GOOS, runtime.GOARCH)
}

// Alloc allocates a protection key. On this platform it always fails with [ErrNotSupported].
func Alloc(a Access) (Key, error) {
	if a > ReadWrite {
		return 0, fmt.Errorf("pkru.Alloc(%d): %w", a, ErrInvalidAccess)
	}
	return 0, Supported()
}

// Free returns k to the kernel. On this platform it always fails with [ErrNotSupported].
func (k Key) Free() error { return fmt.Errorf("pkey_free(%d): %w", k, Supported()) }

// Protect tags pages with a key. On this platform it always fails with [ErrNotSupported].
func Protect(b []byte, prot int, k Key) error {
	return fmt.Errorf("pkey_mprotect: %w", Supported())
}
