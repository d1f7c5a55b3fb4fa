package arena_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
)

// memoryPerSecret holds n 32-byte secrets in a fresh arena and returns the resident and locked
// bytes of its regions per secret, as /proc/self/smaps reports them.
func memoryPerSecret(tb testing.TB, n int) (resident, locked float64) {
	a, err := arena.NewArena()
	if err != nil {
		tb.Fatal(err)
	}
	defer a.Close()
	for i := 0; i < n; i++ {
		if _, err := a.Alloc(32); err != nil {
			tb.Fatal(err)
		}
	}
	mem, _ := a.RegionBounds()
	var rss, lck int64
	for _, e := range readSmaps(tb) {
		for _, m := range mem {
			if e.start == addr(m) {
				rss += kb(e.fields["Rss"])
				lck += kb(e.fields["Locked"])
			}
		}
	}
	return float64(rss) / float64(n), float64(lck) / float64(n)
}

func kb(field string) int64 {
	v, _ := strconv.ParseInt(strings.TrimSuffix(field, " kB"), 10, 64)
	return v << 10
}

// The budget: at most 64 bytes resident and locked per 32-byte secret at 100 000 secrets
// (memguard: a locked page, 4096 bytes, each). Memory, unlike time, is deterministic, so this
// is a test.
func TestMemoryPerSecret(t *testing.T) {
	res, locked := memoryPerSecret(t, 100_000)
	t.Logf("100000 secrets of 32 bytes: %.1f bytes resident, %.1f bytes locked per secret",
		res, locked)
	if res > 64 || locked > 64 {
		t.Errorf("%.1f resident, %.1f locked bytes per secret; budget 64", res, locked)
	}
	if res < 32 {
		t.Errorf("%.1f resident bytes per secret is less than the secret: the measurement is broken", res)
	}
}

// At least 100 000 32-byte secrets fit under an 8 MiB RLIMIT_MEMLOCK (as an unprivileged process).
func TestSecretsUnderMemlock8MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates until an 8 MiB limit")
	}
	out := runMemlockChild(t, 8<<20)
	i := bytes.Index(out, []byte("ok: "))
	n, _ := strconv.Atoi(strings.Fields(string(out[i+4:]))[0])
	t.Logf("%d secrets of 32 bytes fit under RLIMIT_MEMLOCK = 8 MiB", n)
	if n < 100_000 {
		t.Errorf("only %d secrets fit; budget at least 100000", n)
	}
}

// runMemlockChild runs childMemlock with the given limit, as an unprivileged user when root (so
// that CAP_IPC_LOCK does not lift the limit), and returns its output.
func runMemlockChild(t *testing.T, limit int) []byte {
	t.Helper()
	cmd := pkutest.UnprivilegedChild(t, childEnv+"=memlock", "ARENA_TEST_MEMLOCK="+strconv.Itoa(limit))
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("ok: ")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return out
}
