package gadget

import _ "unsafe" // for go:linkname

const planted = true

// Aligned executes WRPKRU with the current value (implemented in gadget_amd64.s). Not called.
func Aligned()

// Disguised executes WRPKRU from assembly that names itself as a function of package pkru
// (gadget_amd64.s), as any dependency's assembly can. Not called.
//
//go:linkname Disguised github.com/pkeyarena/pkeyarena/pkru.disguisedWrite
func Disguised()

// Keep references the functions, so that the linker keeps them in binaries that import the
// package even though nothing calls them.
var Keep = []any{Aligned, Misaligned, Disguised}

// Misaligned returns a constant whose encoding contains 0F 01 EF (gadget_amd64.s).
func Misaligned() uint64
