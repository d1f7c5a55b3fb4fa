package domain_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// Tests of key virtualisation (arena/vkey.go): more arenas than hardware keys. They need real
// protection keys (make test-vm).

// tenant is one arena with one secret and the domain that reads it.
type tenant struct {
	a      *arena.Arena
	secret []byte
	d      *domain.Domain
}

func seedOf(i int) byte { return byte(i*37 + 11) }

func newTenants(t *testing.T, n int) []tenant {
	t.Helper()
	ts := make([]tenant, n)
	for i := range ts {
		a := newArena(t, fmt.Sprintf("tenant%d", i))
		b := alloc(t, a, 32)
		d := newDomain(t, domain.ReadWrite(a))
		d.Do(func() error {
			for j := range b {
				b[j] = seedOf(i) + byte(j)
			}
			return nil
		})
		ts[i] = tenant{a, b, d}
	}
	return ts
}

// holds reports whether b is tenant i's secret (the caller is inside its domain).
func holds(b []byte, i int) bool {
	for j := range b {
		if b[j] != seedOf(i)+byte(j) {
			return false
		}
	}
	return true
}

// keysAvailable is the number of hardware keys the library could bind now: those it holds and
// those the kernel still has.
func keysAvailable(t *testing.T) int {
	var taken []pkru.Key
	for {
		k, err := pkru.Alloc(pkru.NoAccess)
		if err != nil {
			break
		}
		taken = append(taken, k)
	}
	for _, k := range taken {
		k.Free()
	}
	return len(taken) + arena.Keys().Keys
}

func statsSum(ts []tenant) (pins, misses, evictions int64) {
	for _, x := range ts {
		st := x.a.Stats()
		pins += st.KeyHits + st.KeyMisses
		misses += st.KeyMisses
		evictions += st.KeyEvictions
	}
	return
}

// 200 arenas, far more than keys; 8 goroutines enter random domains 100 000 times in all. Every
// read inside returns that tenant's secret; every probe from outside a domain, and of another
// tenant from inside one, faults; the statistics add up.
func TestManyMoreArenasThanKeys(t *testing.T) {
	pkutest.RequirePKU(t)
	const arenas, workers, total = 200, 8, 100_000
	ts := newTenants(t, arenas)
	if avail := keysAvailable(t); avail >= arenas {
		t.Fatalf("%d keys available: the test needs more arenas than keys", avail)
	}
	pins0, misses0, evictions0 := statsSum(ts)
	global0 := arena.Keys()

	var wrong, leaked, probes atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for n := 0; n < total/workers; n++ {
				i := rng.IntN(arenas)
				other := (i + 1 + rng.IntN(arenas-1)) % arenas
				tok := ts[i].d.Enter()
				if !holds(ts[i].secret, i) {
					wrong.Add(1)
				}
				if n%64 == 0 { // a thread inside one domain probes another tenant
					probes.Add(1)
					if !pkutest.ReadFault(ts[other].secret) {
						leaked.Add(1)
					}
				}
				tok.Exit()
				if n%64 == 32 { // and outside any domain
					probes.Add(1)
					runtime.LockOSThread()
					if !pkutest.ReadFault(ts[i].secret) {
						leaked.Add(1)
					}
					runtime.UnlockOSThread()
				}
			}
		}()
	}
	wg.Wait()
	if wrong.Load() != 0 {
		t.Errorf("%d reads inside a domain returned a wrong secret", wrong.Load())
	}
	if n := pkutest.ConcurrentLeaks(t, leaked.Load()); n != 0 {
		t.Errorf("%d of %d probes from outside read a secret", n, probes.Load())
	}
	pins, misses, evictions := statsSum(ts)
	pins, misses, evictions = pins-pins0, misses-misses0, evictions-evictions0
	global := arena.Keys()
	if pins != total {
		t.Errorf("hits+misses of the arenas: %d, want %d (one pin per Enter)", pins, total)
	}
	if gm := global.Misses - global0.Misses; gm != misses {
		t.Errorf("library misses %d, the arenas' sum %d", gm, misses)
	}
	if ge := global.Evictions - global0.Evictions; ge != evictions {
		t.Errorf("library evictions %d, the arenas' sum %d", ge, evictions)
	}
	if evictions == 0 || evictions > misses {
		t.Errorf("%d evictions for %d misses: want 0 < evictions <= misses", evictions, misses)
	}
	if global.Keys > pkru.NumKeys-1 {
		t.Errorf("the library holds %d keys", global.Keys)
	}
	t.Logf("%d enters: %d hits, %d misses, %d evictions; %d keys; re-tag %d regions in %v (emulated: not a hardware timing); %d probes all faulted",
		pins, pins-misses, misses, evictions, global.Keys, global.Retags-global0.Retags, global.RetagTime-global0.RetagTime, probes.Load())
}

// pinAllButOne makes one tenant per hardware key the library could bind, and one more, and
// puts a goroutine inside each domain but the last: every key is then pinned. It returns the
// number of keys, the tenants, and holders' release functions.
func pinAllButOne(t *testing.T) (n int, ts []tenant, release func(i int), releaseAll func()) {
	t.Helper()
	n = keysAvailable(t)
	ts = newTenants(t, n+1)
	ds := make([]*domain.Domain, n)
	for i := range ds {
		ds[i] = ts[i].d
	}
	release, releaseAll = holders(t, ds)
	return n, ts, release, releaseAll
}

// holders puts one goroutine inside each of the domains and returns a function that lets them
// all out; release(i) lets out only the i-th.
func holders(t *testing.T, ds []*domain.Domain) (release func(i int), releaseAll func()) {
	t.Helper()
	inside := make(chan struct{})
	outs := make([]chan struct{}, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		outs[i] = make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := d.Enter()
			inside <- struct{}{}
			<-outs[i]
			tok.Exit()
		}()
	}
	for range ds {
		<-inside
	}
	once := make([]sync.Once, len(ds))
	release = func(i int) { once[i].Do(func() { close(outs[i]) }) }
	releaseAll = func() {
		for i := range outs {
			release(i)
		}
		wg.Wait()
	}
	t.Cleanup(releaseAll)
	return release, releaseAll
}

// With every key pinned (one thread inside a different domain per key), one more domain cannot
// be entered: TryEnter says so at once, Enter waits up to arena.KeyWait and then panics,
// EnterContext waits until its context is done, Close
// of a pinned arena is refused; once a holder leaves, the waiting Enter gets the key.
func TestPinnedExhaustion(t *testing.T) {
	pkutest.RequirePKU(t)
	n, ts, release, releaseAll := pinAllButOne(t)
	last := ts[n]

	if _, err := last.d.TryEnter(); !errors.Is(err, arena.ErrKeysPinned) || !errors.Is(err, pkru.ErrNoKeys) {
		t.Fatalf("TryEnter with all %d keys pinned: %v; want arena.ErrKeysPinned (and pkru.ErrNoKeys)", n, err)
	}
	start := time.Now()
	mustPanic(t, "Enter with every key pinned", "pinned", func() { last.d.Enter() })
	if waited := time.Since(start); waited < arena.KeyWait {
		t.Errorf("Enter gave up after %v, before KeyWait (%v)", waited, arena.KeyWait)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	deadline, _ := ctx.Deadline()
	_, err := last.d.EnterContext(ctx)
	cancel()
	if !errors.Is(err, arena.ErrKeysPinned) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("EnterContext with every key pinned: %v; want ErrKeysPinned and DeadlineExceeded",
			err)
	}
	if early := time.Until(deadline); early > 0 { // the deadline counts from WithTimeout
		t.Errorf("EnterContext gave up %v before its deadline", early)
	}
	if err := ts[0].a.Close(); !errors.Is(err, arena.ErrBusy) {
		t.Errorf("Close of an arena a thread is inside: %v, want ErrBusy", err)
	}

	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	got := make(chan bool, 1)
	go func() {
		tok, err := last.d.EnterContext(wctx) // waits for a key
		if err != nil {
			t.Error(err)
			got <- false
			return
		}
		got <- holds(last.secret, n)
		tok.Exit()
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-got:
		t.Fatal("Enter succeeded while every key was pinned")
	default:
	}
	release(n / 2)
	select {
	case ok := <-got:
		if !ok {
			t.Error("the waiting Enter read a wrong secret")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Enter still waiting after a key was unpinned")
	}
	releaseAll()
	t.Logf("%d keys, all pinned: TryEnter refused, Enter waited and panicked, then got a released key", n)
}

// EnterContext's wait is bounded by its context, not by KeyWait: with every key pinned for longer
// than KeyWait it keeps waiting, and it gets the first key unpinned after that.
func TestEnterContextWaitsPastKeyWait(t *testing.T) {
	pkutest.RequirePKU(t)
	n, ts, release, releaseAll := pinAllButOne(t)
	defer releaseAll()
	last := ts[n]
	ctx, cancel := context.WithTimeout(context.Background(), 10*arena.KeyWait)
	defer cancel()
	type result struct {
		ok     bool
		err    error
		waited time.Duration
	}
	got := make(chan result, 1)
	start := time.Now()
	go func() {
		tok, err := last.d.EnterContext(ctx)
		if err != nil {
			got <- result{err: err, waited: time.Since(start)}
			return
		}
		r := result{ok: holds(last.secret, n), waited: time.Since(start)}
		tok.Exit()
		got <- r
	}()
	select {
	case r := <-got: // before any key was unpinned: it must have failed
		t.Fatalf("EnterContext returned after %v with every key pinned: %+v", r.waited, r)
	case <-time.After(arena.KeyWait + arena.KeyWait/4):
	}
	release(0)
	r := <-got
	if r.err != nil || !r.ok {
		t.Fatalf("EnterContext after a key was unpinned past KeyWait: %v (its secret read right: %v)",
			r.err, r.ok)
	}
	if r.waited < arena.KeyWait {
		t.Errorf("EnterContext succeeded after %v, before the key was unpinned", r.waited)
	}
}

// One goroutine stays inside a domain while others churn through many arenas, forcing evictions:
// the pinned arena never changes key, its reads never fault, and neither it nor a prober outside
// ever reads the churned arenas.
func TestEvictionDuringUse(t *testing.T) {
	pkutest.RequirePKU(t)
	const churned = 60
	ts := newTenants(t, churned+1)
	kept := ts[churned]
	evictions0 := arena.Keys().Evictions

	stop := make(chan struct{})
	var faults, wrong, keyChanged, leaked, checks atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		tok := kept.d.Enter()
		defer tok.Exit()
		k0, _ := kept.a.Key()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			checks.Add(1)
			if f := pkutest.Catch(func() { pkutest.ReadByte(kept.secret, 0) }); f != nil {
				faults.Add(1)
			} else if !holds(kept.secret, churned) {
				wrong.Add(1)
			}
			if k, ok := kept.a.Key(); !ok || k != k0 {
				keyChanged.Add(1)
			}
			if !pkutest.ReadFault(ts[i%churned].secret) {
				leaked.Add(1)
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 600; i++ {
				x := (i*7 + w*13) % churned
				ts[x].d.Do(func() error {
					if !holds(ts[x].secret, x) {
						wrong.Add(1)
					}
					return nil
				})
			}
		}()
	}
	wg.Add(1)
	go func() { // a prober outside any domain
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := 0; i < 300; i++ {
			if !pkutest.ReadFault(kept.secret) || !pkutest.ReadFault(ts[i%churned].secret) {
				leaked.Add(1)
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-done
	if ev := arena.Keys().Evictions - evictions0; ev == 0 {
		t.Fatal("no eviction happened: the test did not test anything")
	}
	leaks := pkutest.ConcurrentLeaks(t, leaked.Load())
	if faults.Load()+wrong.Load()+keyChanged.Load()+leaks != 0 {
		t.Errorf("over %d checks inside the kept domain: %d faults, %d wrong reads, %d key changes; %d reads of arenas not granted",
			checks.Load(), faults.Load(), wrong.Load(), keyChanged.Load(), leaks)
	}
}

// Many goroutines at once (more than an arena has pin stripes) enter domains over more arenas
// than there are keys: every eviction must see every stripe's pins, so inside a domain its
// arena's key never changes and its secret never faults.
func TestEvictionSeesEveryStripe(t *testing.T) {
	pkutest.RequirePKU(t)
	n := pkru.AllocatableKeys + 4
	ts := newTenants(t, n)
	evictions0 := arena.Keys().Evictions
	var faults, wrong, keyChanged atomic.Int64
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 150 {
				x := (i*7 + w*13) % n
				ts[x].d.Do(func() error {
					k0, _ := ts[x].a.Key()
					if f := pkutest.Catch(func() { pkutest.ReadByte(ts[x].secret, 0) }); f != nil {
						faults.Add(1)
					} else if !holds(ts[x].secret, x) {
						wrong.Add(1)
					}
					runtime.Gosched() // let the others evict meanwhile
					if k, ok := ts[x].a.Key(); !ok || k != k0 {
						keyChanged.Add(1)
					}
					return nil
				})
			}
		}()
	}
	wg.Wait()
	if ev := arena.Keys().Evictions - evictions0; ev == 0 {
		t.Fatal("no eviction happened: the test did not test anything")
	}
	if faults.Load()+wrong.Load()+keyChanged.Load() != 0 {
		t.Errorf("inside domains: %d faults, %d wrong reads, %d key changes", faults.Load(),
			wrong.Load(), keyChanged.Load())
	}
}

// Keys taken by other code before the arenas exist are never used by them, and Enter leaves the
// register bits of such keys as they were.
func TestForeignKeysUntouched(t *testing.T) {
	pkutest.RequirePKU(t)
	runtime.LockOSThread() // pkey_alloc sets the initial rights on the calling thread only
	defer runtime.UnlockOSThread()
	var foreign []pkru.Key
	for i := 0; i < 5; i++ {
		k, err := pkru.Alloc(pkru.ReadOnly) // stands for another library's raw pkey_alloc
		if err != nil {
			t.Fatalf("pre-allocating key %d: %v", i, err)
		}
		foreign = append(foreign, k)
		if pkutest.EmulatedAMR() {
			// The AMR does not read back under QEMU, so pkru keeps its own copy of the rights it
			// wrote and cannot see pkey_alloc's init_val: the other library writes its rights
			// through pkru, as it would have to there.
			pkru.Write(pkru.Read().With(k, pkru.ReadOnly))
		}
	}
	defer func() {
		for _, k := range foreign {
			// pkey_free leaves every thread's rights as they are, and a reused key inherits them:
			// deny it here first, as a careful owner must (pkeys(7)), or a later test's arena
			// bound to the same number would be readable on this thread.
			pkru.Write(pkru.Read().With(k, pkru.NoAccess))
			k.Free()
		}
	}()
	ts := newTenants(t, 20)
	before := pkru.Read()
	for _, f := range foreign {
		if before.Access(f) != pkru.ReadOnly {
			t.Fatalf("foreign key %d: %v on its thread, want ReadOnly", f, before.Access(f))
		}
	}
	for round := 0; round < 3; round++ {
		for i, x := range ts {
			tok := x.d.Enter()
			k, _ := x.a.Key()
			inside := pkru.Read()
			ok := holds(x.secret, i)
			tok.Exit()
			if !ok {
				t.Fatalf("tenant %d: wrong secret inside", i)
			}
			for _, f := range foreign {
				if k == f {
					t.Fatalf("tenant %d bound to key %d, which other code owns", i, k)
				}
				if inside.Access(f) != before.Access(f) {
					t.Fatalf("Enter changed foreign key %d: %v -> %v",
						f, before.Access(f), inside.Access(f))
				}
			}
		}
	}
	if after := pkru.Read(); after != before {
		t.Errorf("register %v after the rounds, %v before", after, before)
	}
}

// A key the library gives back while a domain is inside (another arena closed, on this goroutine
// or another) can be other code's by Exit, granted on this thread: Exit leaves its bits alone,
// as for any other code's key, and still revokes the domain's own. (Exit used to compare them
// with what Enter wrote, panic, and leave the thread inside.) The key stays granted here, so when
// its owner gives it back the library keeps it unused (quarantined): the test runs in a process
// of its own.
func TestExitLeavesKeysGivenBackInside(t *testing.T) {
	pkutest.RequirePKU(t)
	if !inChild(t) {
		return
	}
	given := map[pkru.Key]bool{}
	for _, where := range []string{"this goroutine", "another goroutine"} {
		t.Run(where, func(t *testing.T) {
			runtime.LockOSThread() // pkey_alloc sets the initial rights on the calling thread only
			defer runtime.UnlockOSThread()
			a := newArena(t, "kept")
			secret := alloc(t, a, 32)
			c, err := arena.NewArena(arena.Name("given-back"))
			if err != nil {
				t.Fatal(err)
			}
			alloc(t, c, 32)
			ck, ok := c.Key()
			if !ok {
				t.Fatal("the second arena has no key")
			}
			var held []pkru.Key // every other free key, so that the kernel hands out c's next
			for {
				k, err := pkru.Alloc(pkru.NoAccess)
				if err != nil {
					break
				}
				held = append(held, k)
			}
			defer func() {
				for _, k := range held {
					pkru.Write(pkru.Read().With(k, pkru.NoAccess))
					k.Free()
				}
			}()
			d := newDomain(t, domain.ReadWrite(a))
			tok := d.Enter()
			if where == "this goroutine" {
				err = c.Close()
			} else {
				done := make(chan error)
				go func() { done <- c.Close() }()
				err = <-done
			}
			if err != nil {
				t.Fatalf("Close of an arena the domain does not grant: %v", err)
			}
			k, err := pkru.Alloc(pkru.ReadWrite) // other code, on this thread, gets the number
			if err != nil || k != ck {
				t.Fatalf("pkru.Alloc after the Close: key %d, %v; want key %d", k, err, ck)
			}
			given[k] = true
			defer func() {
				pkru.Write(pkru.Read().With(k, pkru.NoAccess))
				k.Free()
			}()
			if pkutest.EmulatedAMR() {
				pkru.Write(pkru.Read().With(k, pkru.ReadWrite))
			}
			tok.Exit()
			if got := probe(secret); got != (access{}) {
				t.Errorf("after Exit the thread has %+v on the domain's arena", got)
			}
			if acc := pkru.Read().Access(k); acc != pkru.ReadWrite {
				t.Errorf("other code's key %d is %v after Exit, want ReadWrite", k, acc)
			}
			if err := a.Close(); err != nil {
				t.Errorf("Close after the Exit: %v", err)
			}
		})
	}
	// Other code gave its keys back (granted here inside, at Exit): no arena gets them again.
	notOnKeys(t, len(given), given)
}

// notOnKeys makes arenas on another thread (pkey_alloc resets a new key's bits on the calling
// one) until the library has quarantined want keys or more (or more arenas than keys were made), and
// fails when one of them got one of keys, or is readable on this thread outside every domain.
func notOnKeys(t *testing.T, want int, keys map[pkru.Key]bool) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for i := 0; i <= pkru.AllocatableKeys && arena.Keys().Quarantined < want; i++ {
		var y *arena.Arena
		var b []byte
		done := make(chan error)
		go func() {
			var err error
			if y, err = arena.NewArena(arena.Name(fmt.Sprintf("after%d", i))); err == nil {
				b, err = y.Alloc(32)
			}
			done <- err
		}()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { y.Close() })
		if k, ok := y.Key(); ok && keys[k] {
			t.Errorf("arena %d got key %d, which a thread may still grant", i, k)
		}
		if got := probe(b); got != (access{}) {
			t.Errorf("arena %d made after the Exit gives %+v on this thread", i, got)
		}
	}
	if got := arena.Keys().Quarantined; got < want {
		t.Errorf("%d keys quarantined, want %d or more", got, want)
	}
}

// Code inside a domain that grants itself the key of another arena (a stray register write),
// that arena closed meanwhile on another goroutine: at Exit the key is no longer the library's,
// so Exit cannot tell the stray grant from other code's and leaves it; but the library never
// binds that key again, and no arena made afterwards is readable on the thread. When the library
// took the key back before the Exit, Exit sees the stray grant as a misuse of its own key: it
// panics, and Do denies every arena. Each case in a process of its own (a quarantined key is kept
// for good).
func TestStrayGrantOfClosedArenasKey(t *testing.T) {
	pkutest.RequirePKU(t)
	if !inChild(t) {
		return
	}
	for _, c := range []struct {
		name    string
		retaken bool // an arena made inside gets the key back before the Exit
		do      bool
	}{
		{"Exit", false, false}, {"Do", false, true}, {"retaken/Do", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			a := newArena(t, "entered")
			x, err := arena.NewArena(arena.Name("closed-inside"))
			if err != nil {
				t.Fatal(err)
			}
			alloc(t, x, 32)
			xk, ok := x.Key()
			if !ok {
				t.Fatal("the arena has no key")
			}
			var y *arena.Arena
			var yb []byte
			inside := func() error {
				pkru.Write(pkru.Read().With(xk, pkru.ReadWrite)) // the stray grant
				done := make(chan error)
				go func() { // another thread: pkey_alloc resets the key's bits on its caller's
					err := x.Close()
					if err == nil && c.retaken {
						if y, err = arena.NewArena(arena.Name("made-inside")); err == nil {
							yb, err = y.Alloc(32)
						}
					}
					done <- err
				}()
				if err := <-done; err != nil {
					t.Errorf("Close of an arena no domain grants, then NewArena: %v", err)
				}
				return nil
			}
			d := newDomain(t, domain.ReadOnly(a))
			quarantined := arena.Keys().Quarantined
			msg := func() (msg string) {
				defer func() { msg, _ = recover().(string) }()
				if c.do {
					d.Do(inside)
				} else {
					tok := d.Enter()
					inside()
					tok.Exit()
				}
				return ""
			}()
			defer pkru.Write(pkru.Read().With(xk, pkru.NoAccess))
			if !c.retaken {
				if msg != "" {
					t.Fatalf("Exit panicked: %s", msg)
				}
				notOnKeys(t, quarantined+1, map[pkru.Key]bool{xk: true})
				return
			}
			t.Cleanup(func() { y.Close() })
			if yk, _ := y.Key(); yk != xk {
				t.Skipf("the arena made inside got key %d, not the closed arena's %d", yk, xk)
			}
			if !strings.Contains(msg, "unbalanced or interleaved Exit: the thread's rights") {
				t.Errorf("Do's Exit after a stray grant of the library's key: panic %q", msg)
			}
			if got := probe(yb); got != (access{}) {
				t.Errorf("after the recovered panic the arena holding the key gives %+v", got)
			}
			runtime.UnlockOSThread() // Do left the thread locked
		})
	}
}

// A key the library takes while a domain is inside (an arena made there) is denied on the thread
// at Exit, whatever was written to its bits inside: outside every domain, no arena is readable.
func TestExitDeniesKeysTakenInside(t *testing.T) {
	pkutest.RequirePKU(t)
	a := newArena(t, "before")
	d := newDomain(t, domain.ReadWrite(a))
	tok := d.Enter()
	y := newArena(t, "made-inside")
	b := alloc(t, y, 32)
	k, ok := y.Key()
	if !ok {
		t.Fatal("the arena made inside has no key")
	}
	pkru.Write(pkru.Read().With(k, pkru.ReadWrite)) // a stray grant inside
	tok.Exit()
	if got := probe(b); got != (access{}) {
		t.Errorf("after Exit the arena made inside gives %+v", got)
	}
}

// Domains over arenas with dedicated keys pin nothing and compute their rights once; they still
// deny every other arena, and refuse a closed arena.
func TestDedicatedKeyDomain(t *testing.T) {
	pkutest.RequirePKU(t)
	a := arenatest.NewArena(t, arena.Name("hot"), arena.DedicatedKey())
	b := alloc(t, a, 32)
	other := newTenants(t, 3)
	d := newDomain(t, domain.ReadOnly(a))
	tok := d.Enter()
	got := probe(b)
	leak := !pkutest.ReadFault(other[0].secret)
	// A dedicated key counts no pins, but the closing thread's own register shows it is inside:
	// freeing the key now would leave it open here for whoever gets the number next.
	busy := a.Close()
	still := probe(b)
	tok.Exit()
	if got != (access{read: true}) || leak {
		t.Errorf("inside a read-only domain over a dedicated key: %+v, other arena readable: %v",
			got, leak)
	}
	if !errors.Is(busy, arena.ErrBusy) || still != got {
		t.Errorf("Close from inside a domain over the dedicated arena: %v, then %+v; want ErrBusy and the arena as it was", busy, still)
	}
	if probe(b) != (access{}) {
		t.Error("dedicated arena accessible after Exit")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	mustPanic(t, "Enter with a closed dedicated arena", "closed", func() { d.Enter() })
}

// Exit restores only the library's bits: rights that other code gives or takes on its own keys
// while a domain is inside stay as they are at Exit, nested or not. The thread may grant those
// keys from then on, so the library never binds them (in a process of its own: the keys stay
// quarantined once their owner frees them).
func TestExitKeepsForeignChanges(t *testing.T) {
	pkutest.RequirePKU(t)
	if !inChild(t) {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	granted, err := pkru.Alloc(pkru.NoAccess) // other code's keys
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := pkru.Alloc(pkru.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	pkru.Write(pkru.Read().With(granted, pkru.NoAccess).With(revoked, pkru.ReadWrite))
	ts := newTenants(t, 2)
	outer := ts[0].d.Enter()
	inner := ts[1].d.Enter()
	pkru.Write(pkru.Read().With(granted, pkru.ReadOnly).With(revoked, pkru.NoAccess))
	inner.Exit()
	outer.Exit()
	after := pkru.Read()
	if after.Access(granted) != pkru.ReadOnly || after.Access(revoked) != pkru.NoAccess {
		t.Errorf("after Exit: other code's keys %v and %v; want ReadOnly and NoAccess, as set inside",
			after.Access(granted), after.Access(revoked))
	}
	for i, x := range ts {
		if !pkutest.ReadFault(x.secret) {
			t.Errorf("tenant %d readable after Exit", i)
		}
	}
	// The owner frees both without denying them here first: no arena gets either number.
	done := make(chan error)
	go func() { done <- errors.Join(granted.Free(), revoked.Free()) }()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	defer pkru.Write(pkru.Read().With(granted, pkru.NoAccess))
	notOnKeys(t, arena.Keys().Quarantined+2, map[pkru.Key]bool{granted: true, revoked: true})
}

// An arena with a dedicated key closed on another goroutine while a domain granting it is inside
// (a dedicated key counts no pins, so that Close cannot see the domain). The key is no longer the
// library's at Exit: when its bits are as Enter wrote them, they are still the domain's grant and
// Exit revokes it; when other code took the number and set its bits on this thread, Exit leaves
// them (no panic, no overwrite) and the library never binds the key again. In a process of its
// own (the second case quarantines a key for good).
func TestDedicatedKeyClosedElsewhere(t *testing.T) {
	pkutest.RequirePKU(t)
	if !inChild(t) {
		return
	}
	for _, taken := range []bool{false, true} {
		t.Run(fmt.Sprintf("taken=%v", taken), func(t *testing.T) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			x, err := arena.NewArena(arena.Name("dedicated"), arena.DedicatedKey())
			if err != nil {
				t.Fatal(err)
			}
			alloc(t, x, 32)
			xk, _ := x.Key()
			tok := newDomain(t, domain.ReadWrite(x)).Enter()
			other := make(chan pkru.Key)
			go func() {
				if err := x.Close(); err != nil {
					t.Errorf("Close on another goroutine: %v", err)
				}
				k := pkru.Key(-1)
				if taken {
					if k, err = pkru.Alloc(pkru.NoAccess); err != nil {
						t.Errorf("pkru.Alloc: %v", err)
					}
				}
				other <- k
			}()
			k := <-other
			if taken && k != xk {
				k.Free()
				t.Skipf("other code got key %d, not the closed arena's %d", k, xk)
			}
			if taken {
				pkru.Write(pkru.Read().With(k, pkru.ReadOnly)) // its owner grants it here
			}
			quarantined := arena.Keys().Quarantined
			tok.Exit()
			want := pkru.NoAccess
			if taken {
				want = pkru.ReadOnly
			}
			if got := pkru.Read().Access(xk); got != want {
				t.Errorf("key %d after Exit: %v, want %v", xk, got, want)
			}
			if !taken {
				return
			}
			go func() { other <- k; k.Free() }() // its owner gives it back, on another thread
			<-other
			notOnKeys(t, quarantined+1, map[pkru.Key]bool{xk: true})
			pkru.Write(pkru.Read().With(xk, pkru.NoAccess))
		})
	}
}

// Stray grants that Do's own cleanup must see: a domain left inside besides (Do's Exit then fails
// its nesting check before it looks at the register), and keys the library did not hold at Enter
// (an arena made and closed inside, or every key written open at once). The thread keeps those
// grants (they are not the library's keys), so the library never binds the keys again. Each case
// in a process of its own.
func TestStrayGrantsSeenByDoCleanup(t *testing.T) {
	pkutest.RequirePKU(t)
	if !inChild(t) {
		return
	}
	for _, c := range []string{"closed inside, domain left inside", "made and closed inside",
		"every key written open"} {
		t.Run(c, func(t *testing.T) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			a := newArena(t, "entered")
			d, empty := newDomain(t, domain.ReadOnly(a)), newDomain(t)
			var xk pkru.Key
			var x *arena.Arena
			elsewhere := func(f func() error) {
				done := make(chan error)
				go func() { done <- f() }()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			newX := func() error {
				var err error
				if x, err = arena.NewArena(arena.Name("x")); err == nil {
					_, err = x.Alloc(32)
					xk, _ = x.Key()
				}
				return err
			}
			if c != "made and closed inside" {
				elsewhere(newX)
			}
			if c == "every key written open" {
				elsewhere(x.Close) // its number is free again: the next the kernel hands out
			}
			q := arena.Keys().Quarantined
			recoverPanic(func() {
				d.Do(func() error {
					switch c {
					case "every key written open":
						pkru.Write(pkru.AllowAll)
						return nil
					case "made and closed inside":
						elsewhere(newX)
					}
					pkru.Write(pkru.Read().With(xk, pkru.ReadWrite))
					elsewhere(x.Close)
					if c == "closed inside, domain left inside" {
						empty.Enter()
					}
					return nil
				})
			})
			defer pkru.Write(pkru.Read().With(xk, pkru.NoAccess))
			if c != "made and closed inside" {
				defer runtime.UnlockOSThread() // Do panicked and left the thread locked
			}
			notOnKeys(t, q+1, map[pkru.Key]bool{xk: true})
		})
	}
}
