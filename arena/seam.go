package arena

import (
	"time"

	"github.com/pkeyarena/pkeyarena/internal/seam"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// plumbing is an Arena as package domain sees it through internal/seam: the type is unexported,
// so no caller outside the module can hold one.
type plumbing Arena

func (p *plumbing) PinKey(wait time.Duration, done <-chan struct{}) (pkru.Key, error) {
	return (*Arena)(p).pinKey(wait, done)
}
func (p *plumbing) UnpinKey()                  { (*Arena)(p).unpinKey() }
func (p *plumbing) FixedKey() (pkru.Key, bool) { return (*Arena)(p).fixedKey() }
func (p *plumbing) Open(acc pkru.Access) error { return (*Arena)(p).open(acc) }
func (p *plumbing) Release(acc pkru.Access)    { (*Arena)(p).release(acc) }
func (p *plumbing) ReadyToEnter() bool         { return (*Arena)(p).readyToEnter() }

func init() {
	seam.Of = func(a any) seam.Arena { return (*plumbing)(a.(*Arena)) }
	seam.LibraryKeys = libraryKeys
}
