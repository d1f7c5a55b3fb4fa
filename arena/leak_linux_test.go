package arena_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/unix"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// mappings counts the process's mappings (lines of /proc/self/maps).
func mappings(t testing.TB) int {
	data, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

// Closing arenas gives their keys back: many more arenas than keys, one after another, never
// run out, and leave no mapping behind.
func TestCloseReturnsKeysAndMappings(t *testing.T) {
	before := mappings(t)
	for i := 0; i < 40; i++ {
		a, err := arena.NewArena()
		if err != nil {
			t.Fatalf("arena %d: %v (a key or mapping leaked by the ones before?)", i, err)
		}
		if _, err := a.Alloc(64); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if after := mappings(t); after > before+2 { // the Go runtime may map a little meanwhile
		t.Errorf("%d mappings before, %d after 40 arenas were created and closed", before, after)
	}
}

// With every protection key taken, NewArena fails with pkru.ErrNoKeys and maps nothing.
func TestNoKeysLeavesNothing(t *testing.T) {
	pkutest.RequirePKU(t)
	var taken []pkru.Key
	defer func() {
		for _, k := range taken {
			k.Free()
		}
	}()
	for {
		k, err := pkru.Alloc(pkru.NoAccess)
		if err != nil {
			break
		}
		taken = append(taken, k)
	}
	before := mappings(t)
	a, err := arena.NewArena()
	if !errors.Is(err, pkru.ErrNoKeys) || a != nil {
		t.Fatalf("NewArena with no key left: %v, %v; want pkru.ErrNoKeys", a, err)
	}
	if after := mappings(t); after != before {
		t.Errorf("a failed NewArena changed the mappings: %d -> %d", before, after)
	}
}

// In a child whose address space is capped (RLIMIT_AS), Alloc fails with a clear error that
// wraps ENOMEM, leaves the mappings as they were, and earlier objects intact.
func TestMmapFailureLeavesNothing(t *testing.T) {
	out, err := pkutest.UnprivilegedChild(t, childEnv+"=mmapfail").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("ok")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

func childMmapFail() int {
	var t testing.T
	a, err := arena.NewArena(arena.Lock(false))
	if err != nil {
		fmt.Println(err)
		return 3
	}
	first, err := a.Alloc(32)
	if err != nil {
		fmt.Println(err)
		return 3
	}
	within(&t, a, pkru.ReadWrite, func() { fill(first, 7) })
	// Cap the address space just above what is mapped now: the next region cannot be mapped.
	var lim unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_AS, &lim)
	vm := vmSize()
	lim.Cur = uint64(vm) + 1<<20
	if err := unix.Setrlimit(unix.RLIMIT_AS, &lim); err != nil {
		fmt.Println("setrlimit:", err)
		return 3
	}
	before := mappings(&t)
	_, err = a.Alloc(64 << 20)
	after := mappings(&t)
	if !errors.Is(err, unix.ENOMEM) || !strings.Contains(err.Error(), "mmap") {
		fmt.Println("want an mmap error wrapping ENOMEM, got:", err)
		return 4
	}
	if after != before {
		fmt.Printf("mappings %d -> %d after the failed Alloc\n", before, after)
		return 5
	}
	ok := false
	within(&t, a, pkru.ReadOnly, func() { ok = holds(first, 7) })
	if !ok {
		fmt.Println("the earlier object was damaged")
		return 6
	}
	fmt.Printf("ok: %v\n", err)
	return 0
}

// vmSize returns the process's virtual size in bytes (VmSize in /proc/self/status).
func vmSize() int64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmSize:" {
			var kb int64
			fmt.Sscan(f[1], &kb)
			return kb << 10
		}
	}
	return 0
}
