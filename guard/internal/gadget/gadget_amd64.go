package gadget

const planted = true

// Aligned executes WRPKRU with the current value (implemented in gadget_amd64.s). Not called.
func Aligned()

// Keep references both functions, so that the linker keeps them in binaries that import the
// package even though nothing calls them.
var Keep = []any{Aligned, Misaligned}

// Misaligned returns a constant whose encoding contains 0F 01 EF (gadget_amd64.s).
func Misaligned() uint64
