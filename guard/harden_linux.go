package guard

import (
	"fmt"

	"github.com/pkeyarena/pkeyarena/internal/unix"
)

func harden(c hardenConfig) error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", err)
	}
	if c.noCore {
		if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
			return fmt.Errorf("setrlimit(RLIMIT_CORE, 0): %w", err)
		}
	}
	return nil
}

// Dumpable reports the process's PR_GET_DUMPABLE state: false after Harden.
func Dumpable() (bool, error) {
	v, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil {
		return false, fmt.Errorf("prctl(PR_GET_DUMPABLE): %w", err)
	}
	return v != 0, nil
}
