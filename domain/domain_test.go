package domain_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/seam"
	"github.com/pkeyarena/pkeyarena/pkru"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newArena(t testing.TB, name string) *arena.Arena { return arenatest.NewArena(t, arena.Name(name)) }

var alloc = arenatest.MustAlloc

func newDomain(t testing.TB, grants ...domain.Grant) *domain.Domain {
	t.Helper()
	d, err := domain.New(grants...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type access struct{ read, write bool }

func probe(b []byte) access { return access{!pkutest.ReadFault(b), !pkutest.WriteFault(b)} }

func TestInsideAndAfterExit(t *testing.T) {
	a := newArena(t, "keys")
	b := alloc(t, a, 32)
	d := newDomain(t, domain.ReadWrite(a))
	if d.Mode() != a.Mode() {
		t.Errorf("domain mode %v, arena mode %v", d.Mode(), a.Mode())
	}
	if got := probe(b); got != (access{}) {
		t.Fatalf("before Enter: %+v, want no access", got)
	}
	tok := d.Enter()
	if got := probe(b); got != (access{true, true}) {
		t.Errorf("inside: %+v, want read and write", got)
	}
	tok.Exit()
	if got := probe(b); got != (access{}) {
		t.Errorf("after Exit: %+v, want no access", got)
	}
}

func TestReadOnlyGrant(t *testing.T) {
	a := newArena(t, "ro")
	b := alloc(t, a, 32)
	ro := newDomain(t, domain.ReadOnly(a))
	err := ro.Do(func() error {
		if got := probe(b); got != (access{true, false}) {
			t.Errorf("read-only grant: %+v, want read only", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Granting the same arena twice keeps the widest access.
	both := newDomain(t, domain.ReadOnly(a), domain.ReadWrite(a))
	both.Do(func() error {
		if got := probe(b); got != (access{true, true}) {
			t.Errorf("ro+rw grants of one arena: %+v, want read and write", got)
		}
		return nil
	})
}

// While one thread is inside, another OS thread faults on the same bytes at the same time.
func TestOtherThreadFaults(t *testing.T) {
	pkutest.RequirePKU(t)
	for _, procs := range []int{1, 2} {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		a := newArena(t, "secret")
		b := alloc(t, a, 32)
		d := newDomain(t, domain.ReadWrite(a))
		for i := 0; i < 50; i++ {
			d.Do(func() error {
				b[0] = byte(i)
				ch := make(chan access)
				go func() {
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					ch <- probe(b)
				}()
				if got := <-ch; got != (access{}) {
					t.Fatalf("GOMAXPROCS=%d: another thread had %+v while this one was inside",
						procs, got)
				}
				return nil
			})
		}
	}
}

// Nested domains: each Exit restores the previous rights exactly.
func TestNesting(t *testing.T) {
	a, b := newArena(t, "a"), newArena(t, "b")
	ba, bb := alloc(t, a, 16), alloc(t, b, 16)
	A := newDomain(t, domain.ReadWrite(a))
	B := newDomain(t, domain.ReadOnly(b))
	perThread := A.Mode() == arena.PKU

	check := func(step string, wantA, wantB access) {
		t.Helper()
		if got := probe(ba); got != wantA {
			t.Errorf("%s: arena a %+v, want %+v", step, got, wantA)
		}
		if got := probe(bb); got != wantB {
			t.Errorf("%s: arena b %+v, want %+v", step, got, wantB)
		}
	}
	none, ro, rw := access{}, access{true, false}, access{true, true}
	var before pkru.Rights
	if perThread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		before = pkru.Read()
	}
	ta := A.Enter()
	check("in A", rw, none)
	tb := B.Enter()
	if perThread {
		check("in A, then B: B denies a", none, ro)
	} else {
		check("in A, then B (process-wide: the union)", rw, ro)
	}
	tb.Exit()
	check("back in A", rw, none)
	ta2 := A.Enter() // the same domain twice
	check("A inside A", rw, none)
	ta2.Exit()
	check("back in the outer A", rw, none)
	ta.Exit()
	check("outside", none, none)
	if perThread && pkru.Read() != before {
		t.Errorf("rights after all exits %v, before %v", pkru.Read(), before)
	}
	tb = B.Enter()
	ta = A.Enter()
	if perThread {
		check("in B, then A: A denies b", rw, none)
	}
	ta.Exit()
	check("back in B", none, ro)
	tb.Exit()
	check("outside again", none, none)
}

func mustPanic(t *testing.T, what, want string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		msg, _ := r.(string)
		if r == nil || !strings.Contains(msg, want) {
			t.Errorf("%s: panic %v, want one mentioning %q", what, r, want)
		}
	}()
	fn()
}

func TestUnbalancedExitPanics(t *testing.T) {
	mustPanic(t, "zero token", "zero Token", func() { domain.Token{}.Exit() })
	pkutest.RequirePKU(t) // Mprotect mode cannot see the order of exits
	a, b := newArena(t, "a"), newArena(t, "b")
	A, B := newDomain(t, domain.ReadWrite(a)), newDomain(t, domain.ReadWrite(b))

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	base := pkru.Read()
	ta := A.Enter()
	tb := B.Enter()
	mustPanic(t, "outer exited before inner", "unbalanced or interleaved", ta.Exit)
	tb.Exit()
	ta.Exit()
	mustPanic(t, "token exited twice", "unbalanced or interleaved", ta.Exit)
	if pkru.Read() != base {
		t.Errorf("rights %v after the panics, want %v", pkru.Read(), base)
	}

	tok := A.Enter()
	done := make(chan any)
	go func() {
		defer func() { done <- recover() }()
		runtime.LockOSThread() // a different thread, whose rights are not A's
		defer runtime.UnlockOSThread()
		tok.Exit()
	}()
	if r, _ := (<-done).(string); !strings.Contains(r, "another goroutine") {
		t.Errorf("Exit on another goroutine: panic %q", r)
	}
	tok.Exit()
}

// A goroutine that returns while inside takes its thread with it: no goroutine gains access. Its
// pins on the arena's key are never given back, so the arena keeps its key and Close refuses with
// ErrBusy (documented: the safe direction; the memory stays mapped and locked).
func TestGoroutineExitsInside(t *testing.T) {
	pkutest.RequirePKU(t)
	a, err := arena.NewArena(arena.Name("leak"))
	if err != nil {
		t.Fatal(err)
	}
	b := alloc(t, a, 32)
	d := newDomain(t, domain.ReadWrite(a))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			d.Enter() // and never Exit: the thread dies with the goroutine
		}()
		go func() {
			defer wg.Done()
			d.Enter()
			runtime.Goexit()
		}()
	}
	wg.Wait()
	var probes sync.WaitGroup
	for i := 0; i < 64; i++ {
		probes.Add(1)
		go func() {
			defer probes.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if probe(b) != (access{}) {
				t.Error("a goroutine gained access after others left a domain without Exit")
			}
		}()
	}
	probes.Wait()
	if err := a.Close(); !errors.Is(err, arena.ErrBusy) {
		t.Errorf("Close of an arena whose pins died with their goroutines: %v, want ErrBusy", err)
	}
}

func TestDoRestoresOnPanicAndGoexit(t *testing.T) {
	a := newArena(t, "do")
	b := alloc(t, a, 32)
	d := newDomain(t, domain.ReadWrite(a))
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("panic value %v, want boom", r)
			}
		}()
		d.Do(func() error { panic("boom") })
	}()
	if probe(b) != (access{}) {
		t.Error("access remains after a panic in Do")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Do(func() error { runtime.Goexit(); return nil })
	}()
	<-done
	if probe(b) != (access{}) {
		t.Error("access remains after Goexit in Do")
	}
	want := errors.New("from fn")
	if err := d.Do(func() error { return want }); err != want {
		t.Errorf("Do returned %v, want fn's error", err)
	}
}

// When fn misuses the domain (here: it enters another domain and does not exit it), Do panics,
// and a caller that recovers keeps no access to either arena: the thread, still locked to the
// goroutine, denies every arena of the library (PKU mode). Do gives back its own pins (PKU) or
// opens (Mprotect: its arena's pages close again); the domain left inside keeps its own, so only
// that arena refuses to close. DoContext does the same.
func TestDoDeniesEverythingOnMisuse(t *testing.T) {
	for _, do := range []struct {
		name string
		run  func(d *domain.Domain, fn func() error) error
	}{
		{"Do", (*domain.Domain).Do},
		{"DoContext", func(d *domain.Domain, fn func() error) error {
			return d.DoContext(context.Background(), fn)
		}},
	} {
		t.Run(do.name, func(t *testing.T) {
			a, err := arena.NewArena(arena.Name("misused"))
			if err != nil {
				t.Fatal(err)
			}
			inner, err := arena.NewArena(arena.Name("left-inside"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := a.Close(); err != nil {
					t.Errorf("Close of Do's arena after the misuse: %v", err)
				}
				if err := inner.Close(); !errors.Is(err, arena.ErrBusy) { // its token is live
					t.Errorf("Close of the arena left inside: %v, want ErrBusy", err)
				}
			})
			b, bi := alloc(t, a, 32), alloc(t, inner, 32)
			d, di := newDomain(t, domain.ReadWrite(a)), newDomain(t, domain.ReadWrite(inner))
			type result struct {
				msg       string
				outer, in access
			}
			got := make(chan result)
			go func() { // ends locked: its thread goes with it
				var r result
				func() {
					defer func() { r.msg, _ = recover().(string) }()
					do.run(d, func() error {
						di.Enter() // and never exited
						return nil
					})
				}()
				r.outer, r.in = probe(b), probe(bi)
				got <- r
			}()
			r := <-got
			if !strings.Contains(r.msg, "not the innermost") {
				t.Errorf("panic %q, want one saying the token is not the innermost", r.msg)
			}
			if r.outer != (access{}) || a.Mode() == arena.PKU && r.in != (access{}) {
				t.Errorf("after the recovered panic the goroutine has %+v and %+v; want nothing",
					r.outer, r.in)
			}
			if probe(b) != (access{}) && a.Mode() == arena.PKU {
				t.Error("another thread has access")
			}
		})
	}
}

// When fn rewrites the register for the library's keys, Do's Exit panics, denies every arena on
// the thread, and leaves the goroutine as it was before Do: its next domains nest and exit
// normally, and the arena closes (nothing pinned).
func TestDoRecoversFromRewrittenRegister(t *testing.T) {
	pkutest.RequirePKU(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	a, err := arena.NewArena(arena.Name("rewritten"))
	if err != nil {
		t.Fatal(err)
	}
	b := alloc(t, a, 32)
	k, _ := a.Key()
	d := newDomain(t, domain.ReadOnly(a))
	msg := func() (msg string) {
		defer func() { msg, _ = recover().(string) }()
		d.Do(func() error {
			pkru.Write(pkru.Read().With(k, pkru.ReadWrite)) // a stray write to the library's key
			return nil
		})
		return ""
	}()
	defer runtime.UnlockOSThread() // Do leaves the thread locked
	if !strings.Contains(msg, "the thread's rights are") {
		t.Errorf("panic %q, want one naming the rewritten rights", msg)
	}
	if got := probe(b); got != (access{}) {
		t.Errorf("after the recovered panic: %+v", got)
	}
	inside := access{}
	d.Do(func() error { inside = probe(b); return nil }) // panics if Do's token was left behind
	if inside != (access{read: true}) || probe(b) != (access{}) {
		t.Errorf("the next Do: %+v inside, %+v after", inside, probe(b))
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close after the recovered misuse: %v", err)
	}
}

// recoverPanic runs fn and returns what it panicked with, or "".
func recoverPanic(fn func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	fn()
	return ""
}

// A token of a domain that fn entered inside Do and let escape is taken off the goroutine's
// live tokens when Do panics over it. Its Exit then gives back its own pins or opens and nothing
// else: it does not write back the rights its Enter saved (Do's, which grant Do's arena), so Do's
// arena stays closed to the thread; in Mprotect mode the escaped domain's opens close the pages
// again for every thread. A second Exit of it is refused, and changes nothing.
func TestDoMisuseKillsEscapedTokens(t *testing.T) {
	for _, over := range []string{"empty domain", "Do's own arena"} {
		t.Run(over, func(t *testing.T) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			a := newArena(t, "do")
			b := alloc(t, a, 32)
			d, inner := newDomain(t, domain.ReadWrite(a)), newDomain(t)
			if over == "Do's own arena" {
				inner = newDomain(t, domain.ReadOnly(a))
			}
			var escaped domain.Token
			msg := recoverPanic(func() {
				d.Do(func() error {
					escaped = inner.Enter()
					return nil
				})
			})
			defer runtime.UnlockOSThread() // Do leaves the thread locked
			if !strings.Contains(msg, "not the innermost") {
				t.Fatalf("Do's panic %q, want one saying its token is not the innermost", msg)
			}
			if got := probe(b); got != (access{}) && a.Mode() == arena.PKU {
				t.Errorf("after the recovered panic: %+v", got)
			}
			if msg := recoverPanic(escaped.Exit); msg != "" {
				t.Errorf("Exit of the escaped token: panic %q", msg)
			}
			if got := probe(b); got != (access{}) {
				t.Errorf("after the escaped token's Exit the thread has %+v on Do's arena", got)
			}
			other := make(chan access)
			go func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				other <- probe(b)
			}()
			if got := <-other; got != (access{}) {
				t.Errorf("another thread has %+v on Do's arena", got)
			}
			if msg := recoverPanic(escaped.Exit); !strings.Contains(msg, "unbalanced or interleaved Exit") {
				t.Errorf("a second Exit of the escaped token: panic %q, want a refusal", msg)
			}
			inside := access{}
			d.Do(func() error { inside = probe(b); return nil })
			if inside != (access{read: true, write: true}) {
				t.Errorf("a later Do on the goroutine: %+v inside", inside)
			}
			if err := a.Close(); err != nil {
				t.Errorf("Close after the recovered misuse: %v", err)
			}
		})
	}
}

// A Do nested in a plain Enter, whose fn misuses it, gives the thread back the outer domain's
// rights: the outer domain keeps its access, exits normally, and its arena closes.
func TestDoMisuseInsideAnotherDomain(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	a, in := newArena(t, "outer"), newArena(t, "inner")
	b, bi := alloc(t, a, 32), alloc(t, in, 32)
	outer, di := newDomain(t, domain.ReadWrite(a)), newDomain(t, domain.ReadOnly(in))
	empty := newDomain(t)
	tok := outer.Enter()
	msg := recoverPanic(func() {
		di.Do(func() error {
			empty.Enter() // left inside
			return nil
		})
	})
	defer runtime.UnlockOSThread()
	if !strings.Contains(msg, "not the innermost") {
		t.Fatalf("Do's panic %q", msg)
	}
	still := probe(b)
	innerAfter := probe(bi)
	if msg := recoverPanic(tok.Exit); msg != "" {
		t.Fatalf("the outer token cannot be exited: %s", msg)
	}
	if still != (access{read: true, write: true}) {
		t.Errorf("the outer domain after the inner misuse: %+v", still)
	}
	if innerAfter != (access{}) && in.Mode() == arena.PKU {
		t.Errorf("the misused Do's arena after the recovered panic: %+v", innerAfter)
	}
	if got := probe(b); got != (access{}) && a.Mode() == arena.PKU {
		t.Errorf("after the outer Exit: %+v", got)
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close of the outer arena: %v", err)
	}
}

// 64 goroutines enter and exit while others probe; GC, Gosched and blocking system calls happen
// inside. With PKU no probe from outside ever succeeds; in Mprotect mode the counts stay exact
// and the arena is closed once all are out.
func TestStress(t *testing.T) {
	a := newArena(t, "stress")
	b := alloc(t, a, 64)
	d := newDomain(t, domain.ReadWrite(a))
	perThread := d.Mode() == arena.PKU
	rounds := 200
	if testing.Short() || pkutest.InVM() { // emulated WRPKRU costs microseconds
		rounds = 50
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var leaks sync.Map
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				d.Do(func() error {
					b[g] = byte(i)
					switch i % 4 {
					case 0:
						runtime.Gosched()
					case 1:
						if g == 0 {
							runtime.GC()
						}
					case 2:
						os.Stat(".") // a system call on the locked thread
					}
					return nil
				})
			}
		}()
	}
	var probers sync.WaitGroup
	if perThread {
		for p := 0; p < 4; p++ {
			probers.Add(1)
			go func() {
				defer probers.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					runtime.LockOSThread()
					if !pkutest.ReadFault(b) {
						leaks.Store(p, true)
					}
					runtime.UnlockOSThread()
				}
			}()
		}
	}
	wg.Wait()
	close(stop)
	probers.Wait()
	n := int64(0)
	leaks.Range(func(k, v any) bool { n++; return true })
	if pkutest.ConcurrentLeaks(t, n) != 0 {
		leaks.Range(func(k, v any) bool {
			t.Errorf("prober %v read the arena from outside", k)
			return true
		})
	}
	if probe(b) != (access{}) {
		t.Error("arena accessible after every goroutine exited")
	}
}

func TestClosedArena(t *testing.T) {
	a := newArena(t, "closing")
	d := newDomain(t, domain.ReadWrite(a))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	mustPanic(t, "Enter with a closed arena", "closed", func() { d.Enter() })
	if _, err := domain.New(domain.ReadWrite(a)); !errors.Is(err, domain.ErrInvalidGrant) {
		t.Errorf("New with a closed arena: %v", err)
	}
	if _, err := domain.New(domain.Grant{}); !errors.Is(err, domain.ErrInvalidGrant) {
		t.Errorf("New with a nil arena: %v", err)
	}
	if _, err := domain.New(domain.ReadOnly(new(arena.Arena))); !errors.Is(err, domain.ErrInvalidGrant) {
		t.Errorf("New with a zero Arena: %v", err)
	}
	b := newArena(t, "b")
	if _, err := domain.New(domain.Grant{Arena: b, Access: pkru.NoAccess}); !errors.Is(err, domain.ErrInvalidGrant) {
		t.Errorf("New with NoAccess: %v", err)
	}
}

// Two domains share an arena with different access; both inside at once (Mprotect mode: the
// pages get the union, and go back to read-only when the writer leaves).
func TestSharedArenaDifferentAccess(t *testing.T) {
	a := newArena(t, "shared")
	b := alloc(t, a, 16)
	reader := newDomain(t, domain.ReadOnly(a))
	writer := newDomain(t, domain.ReadWrite(a))
	inReader := make(chan struct{})
	release := make(chan struct{})
	done := make(chan access, 1)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		reader.Do(func() error {
			close(inReader)
			<-release
			done <- probe(b)
			return nil
		})
	}()
	<-inReader
	writer.Do(func() error {
		if got := probe(b); got != (access{true, true}) {
			t.Errorf("writer while a reader is inside: %+v", got)
		}
		return nil
	})
	close(release)
	if got := <-done; got != (access{true, false}) {
		t.Errorf("reader after the writer left: %+v, want read only", got)
	}
	<-exited
	if probe(b) != (access{}) {
		t.Error("open after both left")
	}
}

func TestString(t *testing.T) {
	a, b := newArena(t, "keys"), newArena(t, "input")
	d := newDomain(t, domain.ReadWrite(a), domain.ReadOnly(b))
	if got := d.String(); got != "domain{keys:rw,input:ro}" {
		t.Errorf("String() = %q", got)
	}
	if n := newDomain(t); n.String() != "domain{}" {
		t.Errorf("empty domain String() = %q", n.String())
	}
}

// Free leaves its wipe to a batch; entering a domain that grants the arena wipes first, so code
// inside never reads a freed object's bytes. Both Enter paths: virtual and dedicated keys.
// keyKinds are the two ways an arena holds its key, for tests that must hold with both.
var keyKinds = []struct {
	name string
	opts []arena.Option
}{
	{"virtual key", nil},
	{"dedicated key", []arena.Option{arena.DedicatedKey()}},
}

func TestEnterWipesPendingFrees(t *testing.T) {
	for _, tt := range keyKinds {
		t.Run(tt.name, func(t *testing.T) {
			a := arenatest.NewArena(t, append(tt.opts, arena.Name("wiped"))...)
			d := newDomain(t, domain.ReadWrite(a))
			b := alloc(t, a, 48)
			d.Do(func() error { copy(b, "a secret that must not outlive its Free, anywhere"); return nil })
			if err := a.Free(b); err != nil {
				t.Fatal(err)
			}
			if seam.Of(a).ReadyToEnter() {
				t.Fatal("Settled right after a Free: nothing waits to be wiped?")
			}
			d.Do(func() error {
				for i, c := range b { // the freed slot: still mapped, must read zero
					if c != 0 {
						t.Fatalf("byte %d of a freed object reads %#x inside the domain", i, c)
					}
				}
				return nil
			})
			if !seam.Of(a).ReadyToEnter() || a.Stats().Pending != 0 {
				t.Errorf("after Enter: settled %v, pending %d",
					seam.Of(a).ReadyToEnter(), a.Stats().Pending)
			}
		})
	}
}

// An Enter wipes pending frees also while another goroutine is inside a domain over the arena
// (in Mprotect mode the arena is open already then, and only the first opener used to wipe),
// with the other goroutine's grant read-write or read-only, and its own either.
func TestEnterWipesPendingFreesWhileInside(t *testing.T) {
	for _, other := range []pkru.Access{pkru.ReadWrite, pkru.ReadOnly} {
		for _, mine := range []pkru.Access{pkru.ReadWrite, pkru.ReadOnly} {
			t.Run(fmt.Sprintf("inside %v, entering %v", other, mine), func(t *testing.T) {
				a := newArena(t, "wiped-while-inside")
				b := alloc(t, a, 48)
				newDomain(t, domain.ReadWrite(a)).Do(func() error {
					copy(b, "a secret that must not outlive its Free, anywhere")
					return nil
				})
				inside, leave, left := make(chan struct{}), make(chan struct{}), make(chan struct{})
				go func() {
					defer close(left)
					newDomain(t, domain.Grant{Arena: a, Access: other}).Do(func() error {
						close(inside)
						<-leave
						return nil
					})
				}()
				<-inside
				if err := a.Free(b); err != nil {
					t.Fatal(err)
				}
				newDomain(t, domain.Grant{Arena: a, Access: mine}).Do(func() error {
					for i, c := range b {
						if c != 0 {
							t.Fatalf("byte %d of a freed object reads %#x inside the domain, "+
								"another goroutine inside too", i, c)
						}
					}
					return nil
				})
				close(leave)
				<-left
				if st := a.Stats(); st.Pending != 0 {
					t.Errorf("pending after the Enter: %d", st.Pending)
				}
			})
		}
	}
}

// Enter and Exit allocate nothing on the Go heap, with a virtual or a dedicated key (the
// benchmarks' 0 allocs/op, held as a test): a domain entered per request must not feed the
// garbage collector.
func TestEnterExitStayOffTheHeap(t *testing.T) {
	for _, tt := range keyKinds {
		t.Run(tt.name, func(t *testing.T) {
			a := arenatest.NewArena(t, append(tt.opts, arena.Name("alloc-free"))...)
			b := alloc(t, a, 32)
			d := newDomain(t, domain.ReadWrite(a))
			var sum byte
			allocs := testing.AllocsPerRun(1000, func() {
				tok := d.Enter()
				sum += b[0]
				tok.Exit()
			})
			if allocs != 0 {
				t.Errorf("%v mode: %v heap allocations per Enter+Exit, want 0", d.Mode(), allocs)
			}
		})
	}
}
