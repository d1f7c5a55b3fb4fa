//go:build !(linux && amd64)

package pkru

// No register layer on this platform yet: Read and Write panic, Supported reports why.
const cpuPKU, hasRegister = false, false

// registerLayer is true where this package can drive the register (see platforms.go).
const registerLayer = false

func rdpkru() uint32 { panic(noRegister) }
func wrpkru(uint32)  { panic(noRegister) }
