package pkru

import (
	"runtime"

	"github.com/pkeyarena/pkeyarena/internal/platforms"
)

// Platform is what pkeyarena gives on one GOOS/GOARCH, and how that was established: a row of
// docs/platforms.md.
type Platform struct {
	GOOS, GOARCH string
	PerThread    bool   // per-thread isolation with protection keys (given CPU and kernel support)
	ReadOnly     bool   // read-only grants
	Keys         string // keys a process can use for arenas
	Fallback     string // what runs when keys are missing
	Tested       string // hardware, emulated or compile-only, and where
}

// ThisPlatform returns the running build's row of docs/platforms.md, or, for a platform the
// table does not list, one that claims only the fallback. It is what a bug report should quote
// beside the Mode of the arenas. Each call returns a fresh copy.
func ThisPlatform() Platform { return Platform(platforms.Lookup(runtime.GOOS, runtime.GOARCH)) }
