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

// arenaBytes returns how many bytes of the address ranges are mapped now the way an arena maps
// them (arenaLike; dd is on guard pages too), and the smaps lines of those mappings. The flags
// tell an arena mapping left behind from one the Go runtime puts into the hole a Close leaves:
// that happens (seen under emulation), and the runtime's heap mappings are not dd.
func arenaBytes(t testing.TB, ranges [][]byte) (n int, lines []string) {
	for _, m := range readSmaps(t) {
		if !arenaLike(m) {
			continue
		}
		for _, r := range ranges {
			start, end := max(m.start, addr(r)), min(m.end, addr(r)+uintptr(len(r)))
			if start < end {
				n += int(end - start)
				lines = append(lines, fmt.Sprintf("%x-%x %s %s",
					m.start, m.end, m.perms, m.fields["VmFlags"]))
			}
		}
	}
	return n, lines
}

// arenaLike reports whether a mapping has the VmFlags of an arena's: dd (MADV_DONTDUMP), but
// not dp (VM_DROPPABLE: the runtime's vgetrandom state, also dd, mapped as threads start) nor io
// (the vvar/vDSO pages).
func arenaLike(m smapsEntry) bool {
	f := " " + m.fields["VmFlags"] + " "
	return strings.Contains(f, " dd ") && !strings.Contains(f, " dp ") && !strings.Contains(f, " io ")
}

// ddBytes counts the bytes mapped the way arenas map them (arenaLike). Bytes, not mappings:
// adjacent arenas' mappings merge and split as they come and go.
func ddBytes(t testing.TB) int {
	n := 0
	for _, m := range readSmaps(t) {
		if arenaLike(m) {
			n += int(m.end - m.start)
		}
	}
	return n
}

// Closing arenas gives their keys back: many more arenas than keys, one after another, never
// run out, and leave no mapping behind. Mappings are told apart from the Go runtime's by the
// arena's dd flag (the runtime maps memory meanwhile: a plain count of /proc/self/maps lines grew
// by 4 in CI): each arena's ranges are checked right after its Close, and the dd bytes must
// not have grown (they may shrink: the cleanup backstop of arenas other tests dropped runs when
// it likes).
func TestCloseReturnsKeysAndMappings(t *testing.T) {
	before := ddBytes(t)
	for i := 0; i < 40; i++ {
		a, err := arena.NewArena()
		if err != nil {
			t.Fatalf("arena %d: %v (a key or mapping leaked by the ones before?)", i, err)
		}
		if _, err := a.Alloc(64); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Alloc(3 * arena.PageSize); err != nil {
			t.Fatal(err)
		}
		_, regions := a.RegionBounds()
		if len(regions) == 0 {
			t.Fatal("an arena with objects has no region")
		}
		total := 0
		for _, r := range regions {
			total += len(r)
		}
		if n, _ := arenaBytes(t, regions); n != total {
			t.Fatalf("arena %d: %d bytes of regions, %d of them mapped with the arena's flags before Close", i, total, n)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if n, left := arenaBytes(t, regions); n > 0 {
			t.Fatalf("arena %d: %d bytes still mapped after Close:\n%s",
				i, n, strings.Join(left, "\n"))
		}
	}
	if after := ddBytes(t); after > before {
		t.Errorf("%d bytes of arena-like mappings before, %d after 40 arenas were created and closed", before, after)
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
	before := ddBytes(t)
	a, err := arena.NewArena()
	if !errors.Is(err, pkru.ErrNoKeys) || a != nil {
		t.Fatalf("NewArena with no key left: %v, %v; want pkru.ErrNoKeys", a, err)
	}
	if after := ddBytes(t); after > before {
		t.Errorf("a failed NewArena left a mapping: arena-like bytes %d -> %d", before, after)
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
	// Cap the address space above what is mapped now: room for the smaps reads and the race
	// runtime's own mappings (which it makes more of under load), not for a 1 GiB region.
	var lim unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_AS, &lim)
	vm := vmSize()
	lim.Cur = uint64(vm) + 256<<20
	if err := unix.Setrlimit(unix.RLIMIT_AS, &lim); err != nil {
		fmt.Println("setrlimit:", err)
		return 3
	}
	before := ddBytes(&t)
	_, err = a.Alloc(1 << 30)
	after := ddBytes(&t)
	if !errors.Is(err, unix.ENOMEM) || !strings.Contains(err.Error(), "mmap") {
		fmt.Println("want an mmap error wrapping ENOMEM, got:", err)
		return 4
	}
	if after != before {
		fmt.Printf("arena-like bytes mapped %d -> %d after the failed Alloc\n", before, after)
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
