package arena_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/unix"
	"github.com/pkeyarena/pkeyarena/pkru"
)

func runChild(role string) int {
	switch role {
	case "memlock":
		return childMemlock()
	case "coredump":
		return childCoreDump()
	case "mmapfail":
		return childMmapFail()
	case "reclaim":
		return childReclaim()
	case "secretmemlock":
		return childSecretMemlock()
	case "rss":
		return childRSS()
	}
	fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
	return 2
}

// pattern is the byte sequence the core-dump test plants and searches: computed, so that the
// secret never exists anywhere but where it is written.
func pattern(seed, i int) byte { return byte((seed*131 + i*29 + i*i*7) ^ 0x5c) }

func patternBytes(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = pattern(seed, i)
	}
	return b
}

// childCoreDump plants a secret in an arena and a control value in the Go heap, then crashes
// with GOTRACEBACK=crash while the arena is open (so that in Mprotect mode the pages are
// readable too: only MADV_DONTDUMP keeps them out).
func childCoreDump() int {
	var lim unix.Rlimit
	lim.Cur, lim.Max = ^uint64(0), ^uint64(0)
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		fmt.Println("setrlimit:", err)
		return 3
	}
	a, err := arena.NewArena()
	if err != nil {
		fmt.Println(err)
		return 3
	}
	b, err := a.Alloc(64)
	if err != nil {
		fmt.Println(err)
		return 3
	}
	control := make([]byte, 64)
	for i := range control {
		control[i] = pattern(2, i)
	}
	debug.SetTraceback("crash")
	var t testing.T // only for within's signature; failures here end the child anyway
	within(&t, a, pkru.ReadWrite, func() {
		for i := range b {
			b[i] = pattern(1, i)
		}
		runtime.KeepAlive(control)
		panic("crashing on purpose for the core dump test")
	})
	return 4
}

func TestCoreDumpHasNoSecret(t *testing.T) {
	pattern, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
	p := strings.TrimSpace(string(pattern))
	if pkutest.InVM() && p != "/tmp/cores/core.%p" {
		if err := os.MkdirAll("/tmp/cores", 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("/proc/sys/kernel/core_pattern",
			[]byte("/tmp/cores/core.%p"), 0); err != nil {
			t.Fatal(err)
		}
		p = "/tmp/cores/core.%p"
	}
	if strings.HasPrefix(p, "|") {
		t.Skipf("core_pattern pipes to %q; run it under the VM runner: make test-vm PKGS=./arena/",
			p)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), childEnv+"=coredump", "GOTRACEBACK=crash")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).CoreDump() {
		t.Fatalf("the child did not dump core (%v):\n%.2000s", err, out)
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	var core string
	for _, cand := range []string{filepath.Join(dir, "core"), filepath.Join(dir, "core."+pid), strings.ReplaceAll(p, "%p", pid)} {
		if _, err := os.Stat(cand); err == nil {
			core = cand
			break
		}
	}
	if core == "" {
		t.Fatalf("no core file found for pid %s (core_pattern %q)", pid, p)
	}
	defer os.Remove(core)
	found := func(seed int) bool {
		f, err := os.Open(core)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return containsStream(f, patternBytes(seed, 64))
	}
	if !found(2) {
		t.Fatal("the control value in the Go heap is not in the core: the search proves nothing")
	}
	if found(1) {
		t.Fatal("the arena secret is in the core dump")
	}
	st, _ := os.Stat(core)
	t.Logf("core of %d bytes holds the Go-heap control value and not the arena secret", st.Size())
}

// containsStream searches r for needle without reading it whole.
func containsStream(r io.Reader, needle []byte) bool {
	br := bufio.NewReaderSize(r, 1<<20)
	buf := make([]byte, 0, 2<<20)
	chunk := make([]byte, 1<<20)
	for {
		n, err := br.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if bytes.Contains(buf, needle) {
			return true
		}
		if len(buf) > len(needle) {
			buf = append(buf[:0], buf[len(buf)-len(needle):]...)
		}
		if err != nil {
			return false
		}
	}
}

// A child forked while the arena is open sees zeros where the parent's secret is
// (MADV_WIPEONFORK), while it sees the parent's Go heap as it was.
func TestForkedChildSeesZeros(t *testing.T) {
	a := newArena(t)
	b := mustAlloc(t, a, 64)
	control := make([]byte, 64)
	fill(control, 9)
	var pid int
	var errno syscall.Errno
	within(t, a, pkru.ReadWrite, func() {
		fill(b, 9)
		pid, errno = forkAndCompare(b, control)
	})
	if errno != 0 {
		t.Fatalf("fork: %v", errno)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	switch {
	case !ws.Exited():
		t.Fatalf("child did not exit normally: %v", ws)
	case ws.ExitStatus() == 1:
		t.Fatal("the forked child read the parent's secret")
	case ws.ExitStatus() == 2:
		t.Fatal("the forked child did not see the parent's heap: the test proves nothing")
	case ws.ExitStatus() != 0:
		t.Fatalf("child exit status %d", ws.ExitStatus())
	}
}

// forkAndCompare forks; the child compares, using raw system calls only, then exits: 0 when
// secret is all zeros and control equals itself as filled (seed 9), 1 when the secret leaked, 2
// when the control is wrong.
//
//go:norace
//go:nosplit
func forkAndCompare(secret, control []byte) (int, syscall.Errno) {
	pid, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if errno != 0 || pid != 0 {
		return int(pid), errno
	}
	code := uintptr(0)
	for i := 0; i < len(secret); i++ {
		if secret[i] != 0 {
			code = 1
		}
	}
	for i := 0; i < len(control); i++ {
		if control[i] != 9+byte(i*7) {
			code = 2
		}
	}
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, code, 0, 0)
	return 0, 0
}

// smapsEntry is one mapping of /proc/self/smaps.
type smapsEntry struct {
	start, end uintptr
	perms      string
	fields     map[string]string
}

func readSmaps(t testing.TB) []smapsEntry {
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	var out []smapsEntry
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			lo, hi, _ := strings.Cut(f[0], "-")
			s, _ := strconv.ParseUint(lo, 16, 64)
			e, _ := strconv.ParseUint(hi, 16, 64)
			out = append(out, smapsEntry{uintptr(s), uintptr(e), f[1], map[string]string{}})
		} else if len(f) >= 2 && len(out) > 0 {
			out[len(out)-1].fields[strings.TrimSuffix(f[0], ":")] = strings.Join(f[1:], " ")
		}
	}
	return out
}

func TestSmapsShowsProtections(t *testing.T) {
	a := newArena(t)
	mustAlloc(t, a, 32)
	mem, mapping := a.RegionBounds()
	smaps := readSmaps(t)
	find := func(addr uintptr) *smapsEntry {
		for i := range smaps {
			if smaps[i].start <= addr && addr < smaps[i].end {
				return &smaps[i]
			}
		}
		t.Fatalf("no mapping at %#x", addr)
		return nil
	}
	data := find(addr(mem[0]))
	flags := " " + data.fields["VmFlags"] + " "
	for _, f := range []string{"dd", "lo", "wf"} {
		if !strings.Contains(flags, " "+f+" ") {
			t.Errorf("arena region VmFlags %q lacks %q", flags, f)
		}
	}
	if data.end-data.start != uintptr(len(mem[0])) {
		t.Errorf("the region is %d bytes in smaps, %d in the arena",
			data.end-data.start, len(mem[0]))
	}
	if k, ok := a.Key(); ok {
		if got := data.fields["ProtectionKey"]; got != strconv.Itoa(int(k)) {
			t.Errorf("ProtectionKey %q, want the arena's key %d", got, k)
		}
		if data.perms != "rw-p" {
			t.Errorf("PKU-mode region perms %q, want rw-p (the key denies access)", data.perms)
		}
	} else if data.perms != "---p" {
		t.Errorf("Mprotect-mode region at rest has perms %q, want ---p", data.perms)
	}
	before := find(addr(mapping[0]))
	after := find(addr(mapping[0]) + uintptr(len(mapping[0])) - 1)
	for _, g := range []*smapsEntry{before, after} {
		if g.perms != "---p" || g.end-g.start != uintptr(arena.PageSize) {
			t.Errorf("guard page %#x-%#x has perms %q", g.start, g.end, g.perms)
		}
	}
}

// Arena bytes fault for a goroutine with no grant, and for the granted goroutine's thread after
// the grant ends.
func TestIsolationFromOtherThreads(t *testing.T) {
	a := newArena(t)
	b := mustAlloc(t, a, 32)
	if !pkutest.ReadFault(b) || !pkutest.WriteFault(b) {
		t.Fatal("arena bytes were accessible with no grant")
	}
	// Mprotect mode is process-wide: other threads can read while any thread is inside.
	// Per-thread isolation needs protection keys.
	pkutest.RequirePKU(t)
	within(t, a, pkru.ReadWrite, func() {
		fill(b, 1)
		for i := 0; i < 20; i++ {
			ch := make(chan bool)
			go func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				ch <- pkutest.ReadFault(b) && pkutest.WriteFault(b)
			}()
			if !<-ch {
				t.Fatal("another thread read or wrote the arena while this one was granted")
			}
		}
	})
	if !pkutest.ReadFault(b) {
		t.Error("readable after the grant ended")
	}
}

// The kernel honours the key (or PROT_NONE) in copy_from_user: write(2) of arena bytes from
// outside a grant fails with EFAULT and works inside.
func TestWriteSyscallEFAULT(t *testing.T) {
	a := newArena(t)
	b := mustAlloc(t, a, 16)
	var p [2]int
	p[0], p[1] = pkutest.Pipe(t)
	if _, err := unix.Write(p[1], b); !errors.Is(err, unix.EFAULT) {
		t.Errorf("write(2) of arena bytes outside a grant: %v, want EFAULT", err)
	}
	within(t, a, pkru.ReadOnly, func() {
		if n, err := unix.Write(p[1], b); err != nil || n != 16 {
			t.Errorf("write(2) inside a grant: %d, %v", n, err)
		}
	})
}
