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
