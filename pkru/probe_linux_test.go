package pkru_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/pkeysys"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/unix"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// Other code may hold every key before this package first looks: the probe's pkey_alloc then
// fails with ENOSPC, and that must still read as "keys supported" (the kernel has them), with
// Alloc reporting ErrNoKeys until a key is freed, and a key freed twice an error. It runs in a
// child, since the probe runs once per process.
func TestSupportedWithEveryKeyTaken(t *testing.T) {
	if os.Getenv(childEnv) == "keystaken" {
		var taken []int
		for {
			k, err := pkeysys.PkeyAlloc(0, pkeysys.PKEY_DISABLE_ACCESS)
			if err != nil {
				if !errors.Is(err, unix.ENOSPC) {
					t.Fatalf("taking key %d: %v", len(taken)+1, err)
				}
				break
			}
			taken = append(taken, k)
		}
		if err := pkru.Supported(); err != nil {
			t.Fatalf("with all %d keys taken before the probe: Supported() = %v, want nil", len(taken), err)
		}
		if k, err := pkru.Alloc(pkru.NoAccess); !errors.Is(err, pkru.ErrNoKeys) || !errors.Is(err, unix.ENOSPC) {
			t.Fatalf("Alloc with every key taken: key %d, %v; want ErrNoKeys wrapping ENOSPC", k, err)
		}
		last := pkru.Key(taken[len(taken)-1])
		if err := last.Free(); err != nil {
			t.Fatalf("freeing key %d: %v", last, err)
		}
		k, err := pkru.Alloc(pkru.NoAccess)
		if err != nil || k != last {
			t.Fatalf("Alloc after freeing key %d: %d, %v", last, k, err)
		}
		if err := k.Free(); err != nil {
			t.Fatal(err)
		}
		if err := k.Free(); !errors.Is(err, unix.EINVAL) {
			t.Fatalf("freeing key %d twice: %v, want EINVAL", k, err)
		}
		fmt.Printf("child: supported with %d keys taken\n", len(taken))
		return
	}
	pkutest.RequirePKU(t)
	args := []string{"-test.run=^TestSupportedWithEveryKeyTaken$", "-test.v"}
	if d := os.Getenv("GOCOVERDIR"); d != "" && testing.CoverMode() != "" {
		// A child that runs a test writes its coverage into a folder of its own and removes it,
		// unless told this run's: then what it ran counts in the profile.
		args = append(args, "-test.gocoverdir="+d)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=keystaken")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("child: supported with")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}
