//go:build !(linux && (amd64 || ppc64le)) && !aix

package pkru

import (
	"fmt"
	"runtime"
)

// No register layer on this platform: Read and Write panic, Supported reports why.
const cpuPKU, hasRegister = false, false

// registerLayer is true where this package can drive the register (see platforms.go).
const registerLayer = false

func readRegister() Rights { panic(noRegister) }
func writeRegister(Rights) { panic(noRegister) }

// registerProbe explains, on Linux, why keys cannot be used here.
func registerProbe() error {
	return fmt.Errorf("%w: no register layer for linux/%s yet", ErrNotSupported, runtime.GOARCH)
}

// noteAlloc has nothing to do: the register reads back what pkey_alloc set.
func noteAlloc(Key, Access) {}
