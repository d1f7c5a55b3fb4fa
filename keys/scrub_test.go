package keys

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"runtime/debug"
	"testing"
	"unsafe"
)

// probeSize is how far below its caller stackDepth looks: well past scrubSize.
const probeSize = 4 * scrubSize

const paintWord = 0xa5a5a5a5a5a5a5a5

// paint fills the probeSize bytes of stack below its caller's frame with paintWord.
//
//go:noinline
func paint() {
	var buf [probeSize / 8]uint64
	for i := range buf {
		buf[i] = paintWord
	}
	keepWords(buf[:])
}

//go:noinline
func keepWords([]uint64) {}

// stackDepth returns how many bytes of stack below its own frame fn's call tree wrote: the
// deepest word that no longer holds the paint. moved reports that the goroutine's stack was
// copied meanwhile (the garbage collector shrank it), which spoils the measure.
//
//go:noinline
func stackDepth(fn func()) (depth int, moved bool) {
	var marker uint64
	before := uintptr(unsafe.Pointer(&marker))
	paint()
	fn()
	base := unsafe.Pointer(&marker)
	if uintptr(base) != before {
		return 0, true
	}
	for off := probeSize; off > 0; off -= 8 {
		if *(*uint64)(unsafe.Add(base, -off)) != paintWord {
			return off, false
		}
	}
	return 0, false
}

// measureDepth is stackDepth with the collector off, so that it does not move the stack.
func measureDepth(t *testing.T, fn func()) int {
	t.Helper()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range 3 {
		if depth, moved := stackDepth(fn); !moved {
			return depth
		}
	}
	t.Fatal("the goroutine's stack moved during each of three measures")
	return 0
}

// The stack that signing and loading use below the domain's frame fits in what scrubStack
// wipes, with room to spare (the race detector's frames included when it is on): otherwise
// the stack would grow mid-signature, leaving its old copy unwiped, and the deepest frames
// would not be wiped after.
func TestScrubCoversStack(t *testing.T) {
	const margin = 2 << 10
	if got := measureDepth(t, func() {}); got > 1<<10 {
		t.Fatalf("an empty function measures %d bytes deep: the probe does not work", got)
	}
	if got := measureDepth(t, scrubStack); got < scrubSize || got > scrubSize+1<<10 {
		t.Fatalf("scrubStack measures %d bytes deep, want about %d: the probe does not work", got, scrubSize)
	}

	ed, p384 := newFixture(t, Ed25519), newFixture(t, ECDSAP384)
	inputs := map[string][]byte{"PKCS#8 P-384": p384.pkcs8(t), "OpenSSH Ed25519": ed.openssh(t, nil)}
	signers := map[string]*Signer{}
	for _, alg := range []Algorithm{Ed25519, ECDSAP256, ECDSAP384} {
		s, err := Generate(alg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		signers[alg.String()] = s
	}
	msg := bytes.Repeat([]byte("m"), 1000)
	sum := sha256.Sum256(msg)
	type job struct {
		home *home
		fn   func()
	}
	work := map[string]job{}
	for name, s := range signers {
		work["sign "+name] = job{s.home, func() {
			scratch, _ := s.home.arena.Alloc(scratchSize(msg, ed25519Variant{}))
			defer s.home.discard(scratch)
			if s.alg == Ed25519 {
				var sig [signatureSize]byte
				signInPlace(&sig, s.key.bytes(), msg, ed25519Variant{}, scratch)
				return
			}
			signECDSA(s.alg, s.key.bytes(), rand.Reader, sum[:], crypto.SHA256)
		}}
	}
	h, err := newHome(config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.release()
	for name, in := range inputs {
		work["load "+name] = job{h, func() {
			buf, n, err := readAll(h, bytes.NewReader(in), len(in)+1)
			if err != nil {
				t.Error(err)
				return
			}
			defer h.discard(buf)
			p, err := parseInput(buf[:n])
			if err != nil {
				t.Error(err)
				return
			}
			key, _ := h.arena.Alloc(p.alg.secretSize())
			defer h.discard(key)
			if _, err := build(key, p); err != nil {
				t.Error(err)
			}
		}}
	}
	for name, j := range work {
		var depth int
		j.home.dom.Do(func() error {
			depth = measureDepth(t, j.fn)
			return nil
		})
		t.Logf("%s: %d bytes of stack", name, depth)
		if depth+margin > scrubSize {
			t.Errorf("%s uses %d bytes of stack: scrubSize (%d) leaves less than %d to spare", name, depth, scrubSize, margin)
		}
	}
}
