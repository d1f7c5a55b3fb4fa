package pkutest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Nobody is the user and group UnprivilegedChild runs as when the tests run as root.
const Nobody = 65534

// UnprivilegedChild returns a command that re-runs the test binary (running no test: the caller's
// TestMain dispatches on env) without root's privileges, so that limits root would bypass
// (RLIMIT_MEMLOCK, /proc/<pid>/mem access) apply. As root it runs as nobody, from a copy of the
// binary in a world-readable temporary folder, removed when the test ends.
func UnprivilegedChild(tb testing.TB, env ...string) *exec.Cmd {
	tb.Helper()
	bin := os.Args[0]
	if os.Getuid() == 0 {
		dir, err := os.MkdirTemp("", "pkeyarena-child-")
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.Chmod(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		data, err := os.ReadFile(os.Args[0])
		if err != nil {
			tb.Fatal(err)
		}
		bin = filepath.Join(dir, filepath.Base(os.Args[0]))
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), env...)
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: Nobody, Gid: Nobody}}
	}
	return cmd
}
