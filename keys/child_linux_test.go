package keys

import (
	"os"
	"os/exec"
	"testing"
)

// runChild runs the child role a test asked for (childEnv) and returns the exit status.
func runChild(role string) int {
	switch role {
	case scanChild:
		return childHeapScan()
	case setxidChild:
		return childSetxid()
	}
	return 2
}

// childCommand re-runs the test binary in a child role, running no test.
func childCommand(t testing.TB, role string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+role), env...)
	return cmd
}
