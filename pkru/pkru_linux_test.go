package pkru_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/unix"
	"github.com/pkeyarena/pkeyarena/pkru"
)

func TestSupported(t *testing.T) {
	err := pkru.Supported()
	switch {
	case pkutest.Required() && err != nil:
		t.Fatalf("protection keys are required here (%s=1) but unavailable: %v", pkutest.RequireEnv, err)
	case pkutest.InVM():
		t.Logf("PKU present: CPU and kernel support protection keys; this thread's PKRU is %v",
			pkru.Read())
	case err == nil:
		t.Logf("PKU present on this host; PKRU %v", pkru.Read())
	case !errors.Is(err, pkru.ErrNotSupported):
		t.Fatalf("Supported() = %v, does not wrap ErrNotSupported", err)
	default:
		t.Logf("no PKU here, as expected on the development host: %v", err)
	}
	if again := pkru.Supported(); again != err {
		t.Errorf("second call returned %v, want the cached %v", again, err)
	}
}

const childEnv = "PKRU_TEST_CHILD"

// TestForceFallback re-runs this test binary with PKEYARENA_FORCE_FALLBACK=1, in which
// Supported must say no even where keys exist, and Alloc must fail with ErrNotSupported.
func TestForceFallback(t *testing.T) {
	if os.Getenv(childEnv) == "forcefallback" {
		err := pkru.Supported()
		if !errors.Is(err, pkru.ErrNotSupported) ||
			!strings.Contains(err.Error(), pkru.ForceFallbackEnv) {
			t.Fatalf("with %s=1: Supported() = %v", pkru.ForceFallbackEnv, err)
		}
		if _, err := pkru.Alloc(pkru.NoAccess); !errors.Is(err, pkru.ErrNotSupported) {
			t.Fatalf("with %s=1: Alloc error %v, want ErrNotSupported", pkru.ForceFallbackEnv, err)
		}
		os.Stdout.WriteString("child: fallback forced\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestForceFallback$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=forcefallback", pkru.ForceFallbackEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("child: fallback forced")) {
		t.Fatalf("child with %s=1: %v\n%s", pkru.ForceFallbackEnv, err, out)
	}
}

func TestAllocWithoutSupport(t *testing.T) {
	if pkru.Supported() == nil {
		t.Skip("protection keys are present")
	}
	if _, err := pkru.Alloc(pkru.NoAccess); !errors.Is(err, pkru.ErrNotSupported) {
		t.Errorf("Alloc without keys: %v, want ErrNotSupported", err)
	}
}

func TestInvalidKeys(t *testing.T) {
	for _, k := range []pkru.Key{0, -1, pkru.NumKeys} {
		if err := k.Free(); !errors.Is(err, pkru.ErrInvalidKey) {
			t.Errorf("Key(%d).Free() = %v, want ErrInvalidKey", k, err)
		}
	}
	page := pkutest.MapPages(t, 1)
	for _, k := range []pkru.Key{-1, pkru.NumKeys} {
		if err := pkru.Protect(page, unix.PROT_READ, k); !errors.Is(err, pkru.ErrInvalidKey) {
			t.Errorf("Protect with key %d = %v, want ErrInvalidKey", k, err)
		}
	}
	if err := pkru.Protect(page[1:], unix.PROT_READ, 0); !errors.Is(err, unix.EINVAL) {
		t.Errorf("Protect of an unaligned slice = %v, want EINVAL", err)
	}
}

// Key 0 is the default key: with kernel support, pkey_mprotect with it works like mprotect.
// Without support the kernel rejects every key, 0 included (contrary to a common belief).
func TestProtectKeyZero(t *testing.T) {
	page := pkutest.MapPages(t, 1)
	err := pkru.Protect(page, unix.PROT_NONE, 0)
	if pkru.Supported() != nil {
		if !errors.Is(err, unix.EINVAL) {
			t.Fatalf("pkey_mprotect with key 0 and no kernel support: %v, want EINVAL", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !pkutest.ReadFault(page) {
		t.Error("PROT_NONE page with key 0 was readable")
	}
	if err := pkru.Protect(page, unix.PROT_READ, 0); err != nil {
		t.Fatal(err)
	}
	if pkutest.ReadFault(page) || !pkutest.WriteFault(page) {
		t.Error("PROT_READ page with key 0: want read ok, write fault")
	}
}

// newKey allocates a key denied to every thread, freed when the test ends. Call it before mapping
// the pages that use the key, so that they are unmapped first.
func newKey(t *testing.T) pkru.Key {
	t.Helper()
	k, err := pkru.Alloc(pkru.NoAccess)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := k.Free(); err != nil {
			t.Error(err)
		}
	})
	return k
}

// taggedPage returns one read-write page tagged with a fresh key.
func taggedPage(t *testing.T) (pkru.Key, []byte) {
	t.Helper()
	k := newKey(t)
	page := pkutest.MapPages(t, 1)
	if err := pkru.Protect(page, unix.PROT_READ|unix.PROT_WRITE, k); err != nil {
		t.Fatal(err)
	}
	return k, page
}

// holdThread locks the goroutine to its thread and returns the thread's register, which is
// restored, and the thread unlocked, when the test ends.
func holdThread(t *testing.T) pkru.Rights {
	t.Helper()
	runtime.LockOSThread()
	saved := pkru.Read()
	t.Cleanup(func() {
		pkru.Write(saved)
		runtime.UnlockOSThread()
	})
	return saved
}

// lockWith holds the thread (holdThread) and sets key k's access there.
func lockWith(t *testing.T, k pkru.Key, a pkru.Access) pkru.Rights {
	t.Helper()
	saved := holdThread(t)
	r := saved.With(k, a)
	pkru.Write(r)
	if got := pkru.Read(); got != r {
		t.Fatalf("wrote %v, read back %v", r, got)
	}
	return r
}

func TestGrantDenyFaults(t *testing.T) {
	pkutest.RequirePKU(t)
	k, page := taggedPage(t)
	saved := holdThread(t)
	if saved.Access(k) != pkru.NoAccess {
		t.Errorf("a key allocated with NoAccess is %v on the allocating thread", saved.Access(k))
	}

	tests := []struct {
		access             pkru.Access
		readFault, wrFault bool
	}{
		{pkru.NoAccess, true, true},
		{pkru.ReadOnly, false, true},
		{pkru.ReadWrite, false, false},
		{pkru.NoAccess, true, true}, // revoking again after a grant
	}
	for _, tt := range tests {
		pkru.Write(saved.With(k, tt.access))
		if got := pkutest.ReadFault(page); got != tt.readFault {
			t.Errorf("key %d %v: read faulted=%v, want %v", k, tt.access, got, tt.readFault)
		}
		if got := pkutest.WriteFault(page); got != tt.wrFault {
			t.Errorf("key %d %v: write faulted=%v, want %v", k, tt.access, got, tt.wrFault)
		}
	}
	pkru.Write(saved.With(k, pkru.ReadWrite))
	if page[0] != 0x5a {
		t.Errorf("the write through the read-write grant was lost: %#x", page[0])
	}
	t.Logf("key %d: none/ro/rw enforced on this thread (PKRU %v)", k, pkru.Read())
}

// pkey_free leaves the threads' rights as they were and the kernel hands the number out again:
// Free denies the key on the calling thread, so that a secret tagged with the reused number by
// other code, on another thread, is not readable here.
func TestFreeDeniesTheKeyHere(t *testing.T) {
	pkutest.RequirePKU(t)
	holdThread(t)

	k, err := pkru.Alloc(pkru.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	if got := pkru.Read().Access(k); got != pkru.ReadWrite {
		t.Fatalf("key %d allocated with ReadWrite is %v on the allocating thread", k, got)
	}
	if err := k.Free(); err != nil {
		t.Fatal(err)
	}
	if got := pkru.Read().Access(k); got != pkru.NoAccess {
		t.Errorf("after Free this thread still has %v to key %d", got, k)
	}

	// The break-in: other code, on another thread, gets the number again and tags a page.
	ch := make(chan pkru.Key)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		k, err := pkru.Alloc(pkru.NoAccess)
		if err != nil {
			t.Error(err)
		}
		ch <- k
	}()
	again := <-ch
	if again == 0 {
		t.FailNow()
	}
	t.Cleanup(func() {
		if err := again.Free(); err != nil {
			t.Error(err)
		}
	})
	if again != k {
		t.Fatalf("the kernel handed out key %d, not the freed %d (it takes the lowest free one): "+
			"nothing to test", again, k)
	}
	page := pkutest.MapPages(t, 1) // unmapped before the key is freed (cleanups run last-in first)
	if err := pkru.Protect(page, unix.PROT_READ|unix.PROT_WRITE, again); err != nil {
		t.Fatal(err)
	}
	pkutest.FlushTLB(page)
	if !pkutest.ReadFault(page) {
		t.Errorf("this thread reads a page tagged with key %d, which it freed and another thread "+
			"allocated again", k)
	}
}

// While one thread has the key open, another OS thread still faults on the same bytes.
func TestRightsArePerThread(t *testing.T) {
	pkutest.RequirePKU(t)
	k, page := taggedPage(t)
	lockWith(t, k, pkru.ReadWrite)
	me := unix.Gettid()
	page[0] = 1
	for i := 0; i < 20; i++ {
		type result struct {
			tid     int
			access  pkru.Access
			faulted bool
		}
		ch := make(chan result)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ch <- result{unix.Gettid(), pkru.Read().Access(k), pkutest.ReadFault(page)}
		}()
		r := <-ch
		if r.tid == me {
			t.Fatalf("the probing goroutine ran on the granted thread %d", me)
		}
		if !r.faulted || r.access != pkru.NoAccess {
			t.Fatalf("thread %d read key %d's page (access %v) while only thread %d was granted",
				r.tid, k, r.access, me)
		}
	}
	if pkutest.ReadFault(page) {
		t.Error("the granted thread lost access")
	}
}

// A thread that did not exist when access was granted starts with the key denied.
func TestNewThreadStartsDenied(t *testing.T) {
	pkutest.RequirePKU(t)
	k, page := taggedPage(t)
	lockWith(t, k, pkru.ReadWrite)
	before := threads(t)

	// Hold many goroutines locked to threads until one runs on a thread that is new.
	release := make(chan struct{})
	type result struct {
		tid     int
		faulted bool
	}
	results := make(chan result)
	// More holders than the process has threads: the runtime keeps idle threads (from earlier
	// tests, or an earlier -count run), so new ones appear only past that number.
	holders := len(before) + 8
	for i := 0; i < holders; i++ {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			results <- result{unix.Gettid(), pkutest.ReadFault(page)}
			<-release
		}()
	}
	newThreads := 0
	for i := 0; i < holders; i++ {
		r := <-results
		if !r.faulted {
			t.Errorf("thread %d could read key %d's page", r.tid, k)
		}
		if !before[r.tid] {
			newThreads++
		}
	}
	close(release)
	if newThreads == 0 {
		t.Fatal("no goroutine ran on a thread created after the grant; the test proved nothing")
	}
	t.Logf("%d threads created after the grant all started with key %d denied", newThreads, k)
}

func threads(t *testing.T) map[int]bool {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	m := map[int]bool{}
	for _, e := range entries {
		var tid int
		for _, c := range e.Name() {
			tid = tid*10 + int(c-'0')
		}
		m[tid] = true
	}
	return m
}

// The kernel honours PKRU in copy_from_user: write(2) of a denied buffer fails with EFAULT.
func TestWriteSyscallHonoursKey(t *testing.T) {
	pkutest.RequirePKU(t)
	k, page := taggedPage(t)
	var p [2]int
	p[0], p[1] = pkutest.Pipe(t)

	saved := holdThread(t)
	pkru.Write(saved.With(k, pkru.ReadWrite))
	copy(page, "secret")

	pkru.Write(saved.With(k, pkru.NoAccess))
	if n, err := unix.Write(p[1], page[:6]); !errors.Is(err, unix.EFAULT) {
		t.Errorf("write(2) of a denied buffer: n=%d err=%v, want EFAULT", n, err)
	}
	pkru.Write(saved.With(k, pkru.ReadOnly))
	if n, err := unix.Write(p[1], page[:6]); err != nil || n != 6 {
		t.Fatalf("write(2) of a readable buffer: n=%d err=%v", n, err)
	}
	pkru.Write(saved)
	var buf [16]byte
	n, err := unix.Read(p[0], buf[:])
	if err != nil || string(buf[:n]) != "secret" {
		t.Errorf("pipe held %q, %v; want only the bytes of the permitted write", buf[:n], err)
	}
}

func TestKeyExhaustion(t *testing.T) {
	pkutest.RequirePKU(t)
	var keys []pkru.Key
	defer func() {
		for _, k := range keys {
			if err := k.Free(); err != nil {
				t.Error(err)
			}
		}
	}()
	var err error
	for i := 0; i < pkru.NumKeys; i++ {
		var k pkru.Key
		if k, err = pkru.Alloc(pkru.NoAccess); err != nil {
			break
		}
		if k <= 0 || k >= pkru.NumKeys {
			t.Fatalf("Alloc returned key %d", k)
		}
		for _, old := range keys {
			if old == k {
				t.Fatalf("key %d handed out twice", k)
			}
		}
		keys = append(keys, k)
	}
	if !errors.Is(err, pkru.ErrNoKeys) || !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("after %d keys: %v, want ErrNoKeys wrapping ENOSPC", len(keys), err)
	}
	if len(keys) == 0 {
		t.Fatal("no key could be allocated at all")
	}
	t.Logf("%d protection keys were available to this process (exhausted: %v)", len(keys), err)
	for _, k := range keys {
		if err := k.Free(); err != nil {
			t.Fatal(err)
		}
	}
	n := len(keys)
	keys = nil
	for i := 0; i < n; i++ {
		k, err := pkru.Alloc(pkru.NoAccess)
		if err != nil {
			t.Fatalf("after freeing all, allocation %d failed: %v", i, err)
		}
		keys = append(keys, k)
	}
}
