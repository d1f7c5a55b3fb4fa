package arena_test

import (
	"os"
	"runtime"
	"testing"
	"unsafe"

	"go.uber.org/goleak"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
	"github.com/pkeyarena/pkeyarena/pkru"
)

func TestMain(m *testing.M) {
	if child := os.Getenv(childEnv); child != "" {
		os.Exit(runChild(child)) // a re-run of the binary as a test's child process
	}
	goleak.VerifyTestMain(m)
}

// childEnv selects a child role when the test binary re-runs itself.
const childEnv = "ARENA_TEST_CHILD"

// newArena and mustAlloc are the shared arena test helpers (internal/arenatest).
var (
	newArena  = arenatest.NewArena
	mustAlloc = arenatest.MustAlloc
)

// within runs fn with a's memory accessible to the calling goroutine with access acc: a register
// write on a locked thread with the key pinned in PKU mode, Open/Release in Mprotect mode. (Package
// domain does this for users; these tests stay below it.)
func within(tb testing.TB, a *arena.Arena, acc pkru.Access, fn func()) {
	tb.Helper()
	if a.Mode() == arena.PKU {
		k, err := a.PinKey(true)
		if err != nil {
			tb.Fatal(err)
		}
		defer a.UnpinKey()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		saved := pkru.Read()
		defer pkru.Write(saved)
		pkru.Write(saved.With(k, acc))
		fn()
		return
	}
	if err := a.Open(acc); err != nil {
		tb.Fatal(err)
	}
	defer a.Release(acc)
	fn()
}

func addr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// widen returns the bytes from before b's start to past its end, to reach its canaries.
func widen(b []byte, before, after int) []byte {
	p := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), -before)
	return unsafe.Slice((*byte)(p), before+len(b)+after)
}

func fill(b []byte, seed byte) {
	for i := range b {
		b[i] = seed + byte(i*7)
	}
}

func holds(b []byte, seed byte) bool {
	for i := range b {
		if b[i] != seed+byte(i*7) {
			return false
		}
	}
	return true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
