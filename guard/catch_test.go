package guard_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"go.uber.org/goleak"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
	"github.com/pkeyarena/pkeyarena/internal/regions"
	"github.com/pkeyarena/pkeyarena/pkru"
)

func TestMain(m *testing.M) {
	if role := childRole(); role != "" {
		runChild(role)
		return
	}
	goleak.VerifyTestMain(m)
}

func newArena(t testing.TB, name string) *arena.Arena {
	return arenatest.NewArena(t, arena.Name(name))
}

var alloc = arenatest.MustAlloc

var sink byte

func read(b []byte, i int) func() { return func() { sink = b[i] } }

func write(b []byte, i int) func() { return func() { b[i] = 1 } }

func asViolation(t *testing.T, err error) *guard.Violation {
	t.Helper()
	var v *guard.Violation
	if !errors.As(err, &v) || !errors.Is(err, guard.ErrViolation) {
		t.Fatalf("got %v, want a *guard.Violation", err)
	}
	return v
}

func TestViolationOutsideDomain(t *testing.T) {
	a := newArena(t, "keys")
	b := alloc(t, a, 32)
	for name, fn := range map[string]func(){"read": read(b, 3), "write": write(b, 3)} {
		v := asViolation(t, guard.Catch(fn))
		if v.Arena != "keys" || v.Where != guard.Data || v.InDomain {
			t.Errorf("%s outside a domain: %+v", name, v)
		}
		if want := uintptr(unsafe.Pointer(&b[3])); v.Addr != want {
			t.Errorf("%s: address %#x, want %#x", name, v.Addr, want)
		}
		if !strings.Contains(v.Error(), `arena "keys"`) {
			t.Errorf("message %q does not name the arena", v.Error())
		}
	}
}

func TestNoViolationInsideDomain(t *testing.T) {
	a := newArena(t, "keys")
	b := alloc(t, a, 32)
	d, _ := domain.New(domain.ReadWrite(a))
	d.Do(func() error {
		if err := guard.Catch(func() { b[0] = 7; sink = b[0] }); err != nil {
			t.Errorf("inside a read-write domain: %v", err)
		}
		return nil
	})
}

func TestWriteThroughReadOnlyGrant(t *testing.T) {
	a := newArena(t, "config")
	b := alloc(t, a, 32)
	ro, _ := domain.New(domain.ReadOnly(a))
	var err error
	ro.Do(func() error {
		if e := guard.Catch(read(b, 0)); e != nil {
			t.Errorf("read through a read-only grant: %v", e)
		}
		err = guard.Catch(write(b, 0))
		return nil
	})
	v := asViolation(t, err)
	if a.Mode() == arena.PKU {
		if v.Op != guard.OpWrite || !v.InDomain {
			t.Errorf("write through a read-only grant: op %v, in domain %v; want write, true",
				v.Op, v.InDomain)
		}
	}
	t.Logf("%v", v)
}

// Reading past the end of an arena's region lands on its guard page: an overflow of that arena.
func TestGuardPageOverflow(t *testing.T) {
	a := newArena(t, "buf")
	b := alloc(t, a, 32)
	d, _ := domain.New(domain.ReadOnly(a))
	reg, ok := regions.Lookup(uintptr(unsafe.Pointer(&b[0])))
	if !ok {
		t.Fatal("the arena's region is not registered")
	}
	// An over-read that runs from the object to one byte past the region's usable end.
	start := uintptr(unsafe.Pointer(&b[0]))
	over := unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), reg.DataEnd()-start+1)
	var err error
	d.Do(func() error {
		err = guard.Catch(func() {
			for i := range over {
				sink += over[i]
			}
		})
		return nil
	})
	v := asViolation(t, err)
	if v.Where != guard.Overflow || v.Arena != "buf" || v.Addr != reg.DataEnd() {
		t.Errorf("over-read: %+v, want an overflow of arena buf at %#x", v, reg.DataEnd())
	}
	// The Violation's Region is the registered one, with the key the data pages had then.
	want := guard.Region{Start: reg.Start, End: reg.End, GuardBelow: reg.GuardBelow,
		GuardAbove: reg.GuardAbove, Key: pkru.Key(reg.CurrentKey())}
	if v.Region != want || v.Region.DataStart() != reg.DataStart() ||
		v.Region.DataEnd() != reg.DataEnd() {
		t.Errorf("over-read: region %+v, want %+v", v.Region, want)
	}
	if (a.Mode() == arena.PKU) != (v.Region.Key > 0) {
		t.Errorf("%v mode: the region's key is %d", a.Mode(), v.Region.Key)
	}
	under := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(&b[0]), -int(start-reg.DataStart()+1))), 1)
	v = asViolation(t, guard.Catch(read(under, 0)))
	if v.Where != guard.Underflow {
		t.Errorf("under-read: %+v, want an underflow", v)
	}
}

func TestCatchConcurrent(t *testing.T) {
	const arenas, goroutines = 8, 32
	var as [arenas]*arena.Arena
	var bs [arenas][]byte
	for i := range as {
		as[i] = newArena(t, fmt.Sprintf("tenant-%d", i))
		bs[i] = alloc(t, as[i], 64)
	}
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := g % arenas
			for n := 0; n < 50; n++ {
				var v *guard.Violation
				err := guard.Catch(read(bs[i], n%64))
				if !errors.As(err, &v) || v.Arena != fmt.Sprintf("tenant-%d", i) {
					t.Errorf("goroutine %d: %v", g, err)
					return
				}
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
}

// A nil function is a programming error with a message of its own, not a nil dereference.
func TestCatchNil(t *testing.T) {
	defer func() {
		if r, _ := recover().(string); r != "guard.Catch: nil function" {
			t.Errorf("Catch(nil) panicked with %q", r)
		}
	}()
	guard.Catch(nil)
}

// Every Op and Where has a name; values outside the constants print as numbers, not a panic.
func TestOpAndWhereStrings(t *testing.T) {
	tests := []struct {
		v    fmt.Stringer
		want string
	}{
		{guard.OpUnknown, "unknown access"},
		{guard.OpWrite, "write"},
		{guard.Op(9), "Op(9)"},
		{guard.Data, "data"},
		{guard.Underflow, "guard page below (underflow)"},
		{guard.Overflow, "guard page above (overflow)"},
		{guard.Where(9), "Where(9)"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%T(%d).String() = %q, want %q", tt.v, tt.v, got, tt.want)
		}
	}
}
