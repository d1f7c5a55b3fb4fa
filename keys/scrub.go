package keys

// scrubSize bounds the stack that signing and loading use below the frame that calls
// scrubStack (TestScrubCoversStack measures it, with the race detector's frames too).
const scrubSize = 16 << 10

// scrubStack zeroes the scrubSize bytes of stack below its caller's frame: called before the
// secret work, it grows the goroutine's stack now, so that the work does not move it (a stack
// that grows is copied and the old one freed as it is); called after, it overwrites what the
// work's frames left there. runtime/secret does this, and more, when it is available.
//
//go:noinline
func scrubStack() {
	var buf [scrubSize]byte
	wipe(buf[:])
}

// wipe zeroes b; not inlined, so that the compiler cannot drop the stores as dead.
//
//go:noinline
func wipe(b []byte) { clear(b) }

// zero256 is what clearVectors copies.
var zero256 [256]byte

// clearVectorsLen is 256, in a variable so that the compiler calls memmove for the copy
// instead of inlining it.
var clearVectorsLen = len(zero256)

// clearVectors zeroes the vector registers that hashing and copying key bytes used: on amd64,
// memmove moves 129 to 256 bytes through X0-X15, and the wide clear of scrubStack has zeroed
// their upper halves (VZEROUPPER). Best effort, elsewhere too: Go has no instruction for it;
// runtime/secret clears every register.
//
//go:noinline
func clearVectors() {
	var buf [256]byte
	copy(buf[:clearVectorsLen], zero256[:clearVectorsLen])
	wipe(buf[:])
}
