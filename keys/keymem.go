package keys

import "unsafe"

// keyMem is a key's arena memory held as a pointer and a length rather than a slice: fmt
// follows a slice, or a pointer to one, when it prints a copy of a Signer value (which Format
// cannot intercept) and would read the key, while an unsafe.Pointer it prints as an address.
type keyMem struct {
	p unsafe.Pointer // nil: no key (closed)
	n int
}

func memOf(b []byte) keyMem { return keyMem{unsafe.Pointer(unsafe.SliceData(b)), len(b)} }

// bytes returns the key's memory (nil when there is none).
func (k keyMem) bytes() []byte {
	if k.p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(k.p), k.n)
}
