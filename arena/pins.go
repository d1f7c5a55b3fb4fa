package arena

import (
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/pkeyarena/pkeyarena/internal/gid"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// Pins of a virtual key: the counters that keep an arena's key bound while it is used (the
// protocol is at the top of vkey.go).

// pinStripes spreads an arena's pin counters over cache lines, so that threads entering one domain
// at once do not all write the same line. A goroutine pins and unpins on the stripe its identifier
// picks (internal/gid; stripe 0 where there is none); only the sums over all stripes mean anything.
const (
	pinStripeBits = 4
	pinStripes    = 1 << pinStripeBits
)

// pinStripe counts pins taken (in) and given back (out) on one stripe; the sum of in - out over
// the stripes is the pins held.
type pinStripe struct {
	in, out atomic.Int64
	_       cpu.CacheLinePad
}

// stripe returns the calling goroutine's pin stripe of v.
func (v *vkey) stripe() *pinStripe {
	return &v.pins[gid.Slot(gid.Current(), pinStripeBits)]
}

// pinsTaken is the number of pins ever taken of v's key (a change is a use, for CLOCK).
func (v *vkey) pinsTaken() int64 {
	var n int64
	for i := range v.pins {
		n += v.pins[i].in.Load()
	}
	return n
}

// pin pins v's key, binding one first when v has none, and returns it. With wait it waits up to
// KeyWait while every key is pinned. On error nothing is pinned. (Arena.pinKey repeats the fast
// path: neither inlines, and the copy saves a call on domain.Enter's path.) A dedicated key is
// never evicted, so its pins are not counted.
func (v *vkey) pin(wait time.Duration, done <-chan struct{}) (pkru.Key, error) {
	if !v.dedicated {
		v.stripe().in.Add(1)
	}
	if s := v.state.Load(); s&(stBound|stEvicting|stClosed) == stBound {
		return pkru.Key(s & stKeyMask), nil
	}
	return v.pinSlow(wait, done)
}

// pinSlowOrHit finishes a pin whose fast path was cut short by something other than the key's
// state (the caller counted the pin): a hit if the key is bound after all, pinSlow otherwise.
func (v *vkey) pinSlowOrHit(wait time.Duration, done <-chan struct{}) (pkru.Key, error) {
	if s := v.state.Load(); s&(stBound|stEvicting|stClosed) == stBound {
		return pkru.Key(s & stKeyMask), nil
	}
	return v.pinSlow(wait, done)
}

func (v *vkey) closedErr() error { return fmt.Errorf("arena %q: %w", v.name, ErrClosed) }

// pinSlow is pin after the fast path failed: v is unbound, being evicted or closed. The caller
// counted its pin (unless dedicated); on error it is given back.
func (v *vkey) pinSlow(wait time.Duration, done <-chan struct{}) (pkru.Key, error) {
	if v.dedicated { // always bound: closed
		return 0, v.closedErr()
	}
	k, err := v.bindSlow(wait, done)
	if err != nil {
		v.stripe().out.Add(1)
	}
	return k, err
}

// unpin gives back a pin taken on the calling goroutine.
func (v *vkey) unpin() {
	if !v.dedicated {
		v.stripe().out.Add(1)
	}
}

// pinned reports whether anybody holds a pin. Reading every out before any in makes the answer
// err on the side of pinned: per stripe, an unpin after its out was read is not seen, and a pin
// after its in was read is (the caller marked the state first, and such a pinner sees the mark
// and does not proceed). A pin and its unpin on different stripes (an Exit on another goroutine
// that the nesting check could not refuse) leave the sums right.
func (v *vkey) pinned() bool {
	var out, in int64
	for i := range v.pins {
		out += v.pins[i].out.Load()
	}
	for i := range v.pins {
		in += v.pins[i].in.Load()
	}
	return in != out
}
