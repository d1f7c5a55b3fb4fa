package arena_test

import (
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// An Enter that begins after a Free returned never reads the freed bytes, also while another
// goroutine's wipe of every shard is under way and has not reached the freed slot yet (held at
// its first shard): the arena is not ready to enter, and the Enter waits for that wipe to end.
// The wipe is Check's or another Enter's; with a virtual key and a dedicated one.
func TestEnterWaitsForWipeUnderWay(t *testing.T) {
	pkutest.RequirePKU(t)
	for _, kind := range []struct {
		name string
		opts []arena.Option
	}{{"virtual", nil}, {"dedicated", []arena.Option{arena.DedicatedKey()}}} {
		for _, wiper := range []string{"Check", "Enter"} {
			t.Run(kind.name+"/"+wiper, func(t *testing.T) {
				a := newArena(t, kind.opts...)
				b := mustAlloc(t, a, 32)
				within(t, a, pkru.ReadWrite, func() { fill(b, 5) })
				must(t, a.Free(b))

				var once atomic.Bool
				held, release := make(chan struct{}), make(chan struct{})
				defer arena.SetHold(func(op string) {
					if op == "flush" && once.CompareAndSwap(false, true) {
						close(held)
						<-release
					}
				})()
				wiped := make(chan struct{})
				go func() {
					defer close(wiped)
					if wiper == "Check" {
						_ = a.Check()
					} else {
						within(t, a, pkru.ReadOnly, func() {})
					}
				}()
				<-held
				if a.ReadyToEnter() {
					t.Error("ready to enter while a wipe of the freed slot is under way")
				}
				saw := make(chan bool, 1)
				go func() { within(t, a, pkru.ReadOnly, func() { saw <- holds(b, 5) }) }()
				parked := parkedIn(saw, "arena.(*Arena).wipeAll")
				close(release)
				if !parked {
					<-wiped
					t.Fatal("an Enter went inside while a wipe of the freed slot was under way")
				}
				<-wiped
				if <-saw {
					t.Error("an Enter that began after Free read the freed bytes")
				}
			})
		}
	}
}

// parkedIn waits until a goroutine is blocked on a mutex in function fn, and reports true, or
// until done has a value (the goroutine watched went past fn unblocked), and reports false.
func parkedIn(done <-chan bool, fn string) bool {
	buf := make([]byte, 1<<20)
	for {
		select {
		case <-done:
			return false
		default:
		}
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, fn) && (strings.Contains(g, "[sync.Mutex.Lock") ||
				strings.Contains(g, "[semacquire")) {
				return true
			}
		}
		runtime.Gosched()
	}
}
