//go:build !linux

package guard

import (
	"fmt"
	"runtime"

	"github.com/pkeyarena/pkeyarena/pkru"
)

func harden(c hardenConfig) error {
	return fmt.Errorf("guard.Harden on %s: %w", runtime.GOOS, pkru.ErrNotSupported)
}

// Dumpable is not known on this platform.
func Dumpable() (bool, error) {
	return true, fmt.Errorf("guard.Dumpable on %s: %w", runtime.GOOS, pkru.ErrNotSupported)
}
