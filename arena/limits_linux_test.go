package arena_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/unix"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// limitChild runs a child role under RLIMIT_MEMLOCK = limit, unprivileged, and fails the test
// unless it prints "ok: ".
func limitChild(t *testing.T, role string, limit int, env ...string) {
	t.Helper()
	env = append(env, childEnv+"="+role, "ARENA_TEST_MEMLOCK="+strconv.Itoa(limit))
	out, err := pkutest.UnprivilegedChild(t, env...).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("ok: ")) {
		t.Fatalf("child %s: %v\n%s", role, err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// setMemlock lowers the child's RLIMIT_MEMLOCK to ARENA_TEST_MEMLOCK and returns it.
func setMemlock() (int, error) {
	limit, err := strconv.Atoi(os.Getenv("ARENA_TEST_MEMLOCK"))
	if err != nil {
		return 0, err
	}
	lim := unix.Rlimit{Cur: uint64(limit), Max: uint64(limit)}
	return limit, unix.Setrlimit(unix.RLIMIT_MEMLOCK, &lim)
}

// Past RLIMIT_MEMLOCK, pending frees in every shard are reclaimed before Alloc gives up.
func TestReclaimBeforeMemlock(t *testing.T) {
	limitChild(t, "reclaim", 256<<10)
}

func childReclaim() int {
	if _, err := setMemlock(); err != nil {
		fmt.Println("setrlimit:", err)
		return 3
	}
	for _, size := range reclaimSizes {
		a, err := arena.NewArena()
		if err != nil {
			fmt.Println(err)
			return 3
		}
		if err := reclaimScenario(a, size, arena.ErrMemlock); err != nil {
			fmt.Println(err)
			return 4
		}
		if err := a.Close(); err != nil {
			fmt.Println(err)
			return 5
		}
	}
	fmt.Println("ok: pending frees reclaimed at RLIMIT_MEMLOCK")
	return 0
}

// The SecretMem backing past RLIMIT_MEMLOCK reports ErrMemlock (and ErrSecretMem) with the limit,
// takes smaller regions while they fit, and reclaims pending frees before refusing.
func TestSecretMemMemlock(t *testing.T) {
	if _, err := unix.MemfdSecret(0); err != nil { // POWER, or a kernel without secretmem
		t.Skipf("no memfd_secret here: %v", err)
	}
	// Regions grow 64, 128, 256 KiB, and the kernel counts secret memory's guard pages as locked
	// too: under this limit the first two fit, the third does not, and one of 64 KiB again does.
	g := 2 * arena.PageSize
	limitChild(t, "secretmemlock", 64<<10+g+128<<10+g+64<<10+g)
}

func childSecretMemlock() int {
	limit, err := setMemlock()
	if err != nil {
		fmt.Println("setrlimit:", err)
		return 3
	}
	a, err := arena.NewArena(arena.WithBacking(arena.SecretMem))
	if err != nil {
		fmt.Println(err)
		return 3
	}
	var held [][]byte
	for {
		b, err := a.Alloc(1000)
		if err != nil {
			want := fmt.Sprintf("RLIMIT_MEMLOCK is %d bytes", limit)
			if !errors.Is(err, arena.ErrMemlock) || !errors.Is(err, arena.ErrSecretMem) ||
				!strings.Contains(err.Error(), want) {
				fmt.Printf("want ErrMemlock and ErrSecretMem naming %q, got: %v\n", want, err)
				return 4
			}
			break
		}
		held = append(held, b)
	}
	if st := a.Stats(); st.Reserved < 256<<10 {
		fmt.Printf("stopped at %d reserved bytes under a limit of %d: smaller regions would fit\n",
			st.Reserved, limit)
		return 5
	}
	for _, b := range held {
		if err := a.Free(b); err != nil {
			fmt.Println(err)
			return 6
		}
	}
	if err := reclaimScenario(a, 1000, arena.ErrMemlock); err != nil {
		fmt.Println(err)
		return 7
	}
	if err := a.Close(); err != nil {
		fmt.Println(err)
		return 8
	}
	fmt.Println("ok: SecretMem stops at the limit with ErrMemlock")
	return 0
}

// Wiping large memory does not commit it: Free and Close of a large object that was never
// touched raise the peak RSS by a few pages, not by the object's size.
func TestWipeCommitsNothing(t *testing.T) {
	for _, backing := range []string{"anonymous", "secretmem"} {
		t.Run(backing, func(t *testing.T) {
			if backing == "secretmem" {
				if _, err := unix.MemfdSecret(0); err != nil {
					t.Skipf("no memfd_secret here: %v", err)
				}
				var lim unix.Rlimit
				if unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim); os.Getuid() != 0 && lim.Max < 1<<30 {
					t.Skip("needs RLIMIT_MEMLOCK of 1 GiB, or root, for 256 MiB of secret memory")
				}
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"=rss", "ARENA_TEST_BACKING="+backing)
			out, err := cmd.CombinedOutput()
			if err != nil || !bytes.Contains(out, []byte("ok: ")) {
				t.Fatalf("child: %v\n%s", err, out)
			}
			t.Logf("%s", bytes.TrimSpace(out))
		})
	}
}

// vmHWM returns the process's peak resident set size in bytes.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return -1
}

func childRSS() int {
	const size = 256 << 20
	opts := []arena.Option{arena.Lock(false)}
	switch os.Getenv("ARENA_TEST_BACKING") {
	case "secretmem":
		opts = []arena.Option{arena.WithBacking(arena.SecretMem)}
		// Secret memory is locked memory, and some kernels (6.1) count it against
		// RLIMIT_MEMLOCK even with CAP_IPC_LOCK: room for it, where this process may raise the
		// limit (others honour CAP_IPC_LOCK).
		lim := unix.Rlimit{Cur: 1 << 30, Max: 1 << 30}
		unix.Setrlimit(unix.RLIMIT_MEMLOCK, &lim)
	}
	a, err := arena.NewArena(opts...)
	if err != nil {
		fmt.Println(err)
		return 3
	}
	var t testing.T
	const slack = 4 << 20 // the runtime's own growth, and the pages of the objects' ends
	for round := range 2 {
		b, err := a.Alloc(size)
		if err != nil {
			fmt.Println(err)
			return 3
		}
		within(&t, a, pkru.ReadWrite, func() { b[0], b[len(b)-1] = 1, 2 }) // two pages touched
		before := vmHWM()
		if err := a.Free(b); err != nil {
			fmt.Println(err)
			return 4
		}
		if err := a.Check(); err != nil {
			fmt.Println(err)
			return 4
		}
		if grown := vmHWM() - before; grown > slack {
			fmt.Printf("round %d: Free of an untouched %d-byte object raised peak RSS by %d\n",
				round, size, grown)
			return 5
		}
	}
	b, err := a.Alloc(size)
	if err != nil {
		fmt.Println(err)
		return 3
	}
	var first byte
	within(&t, a, pkru.ReadOnly, func() { first = b[0] | b[len(b)-1] })
	if first != 0 {
		fmt.Println("a reused large object was not wiped")
		return 6
	}
	before := vmHWM()
	if err := a.Close(); err != nil {
		fmt.Println(err)
		return 7
	}
	if grown := vmHWM() - before; grown > slack {
		fmt.Printf("Close with an untouched %d-byte object raised peak RSS by %d\n", size, grown)
		return 8
	}
	fmt.Printf("ok: peak RSS %d bytes\n", vmHWM())
	return 0
}

// childMemlock runs without CAP_IPC_LOCK under a 64 KiB RLIMIT_MEMLOCK: allocation must stop with
// the documented error, and the secrets already stored must stay intact.
func childMemlock() int {
	limit, _ := strconv.Atoi(os.Getenv("ARENA_TEST_MEMLOCK"))
	lim := unix.Rlimit{Cur: uint64(limit), Max: uint64(limit)}
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &lim); err != nil {
		fmt.Println("setrlimit:", err)
		return 3
	}
	a, err := arena.NewArena()
	if err != nil {
		fmt.Println(err)
		return 3
	}
	var t testing.T
	var kept [][]byte
	filled := 0
	fillNew := func() { // one opening per batch: in Mprotect mode an opening is system calls
		within(&t, a, pkru.ReadWrite, func() {
			for ; filled < len(kept); filled++ {
				fill(kept[filled], byte(filled))
			}
		})
	}
	for i := 0; ; i++ {
		if i%1024 == 0 {
			fillNew()
		}
		b, err := a.Alloc(32)
		if err != nil {
			if !errors.Is(err, arena.ErrMemlock) || !strings.Contains(err.Error(), fmt.Sprintf("RLIMIT_MEMLOCK is %d bytes", limit)) {
				fmt.Println("wrong error:", err)
				return 5
			}
			fmt.Printf("stopped after %d secrets: %v\n", i, err)
			break
		}
		kept = append(kept, b)
	}
	fillNew()
	ok := true
	within(&t, a, pkru.ReadOnly, func() {
		for i, b := range kept {
			ok = ok && holds(b, byte(i))
		}
	})
	if !ok || len(kept) == 0 {
		fmt.Println("earlier secrets damaged, or none stored")
		return 6
	}
	st := a.Stats()
	if st.Locked > int64(limit) {
		fmt.Println("locked more than the limit:", st.Locked)
		return 7
	}
	if err := a.Close(); err != nil {
		fmt.Println(err)
		return 8
	}
	fmt.Printf("ok: %d secrets in %d locked bytes\n", len(kept), st.Locked)
	return 0
}

func TestMemlockLimit(t *testing.T) {
	out := runMemlockChild(t, 64<<10)
	t.Logf("%s", bytes.TrimSpace(out))
}
