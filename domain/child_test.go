package domain_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// childEnv names the test a re-run of the test binary is for.
const childEnv = "PKEYARENA_DOMAIN_TEST_CHILD"

// inChild reports whether the calling test runs in a process of its own: for a test that leaves
// the library in a state no later test may inherit (a key kept for good). In the test's own
// process it runs the test binary again for this test only, fails unless the test passed there,
// and returns false.
func inChild(t *testing.T) bool {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("in a process of its own: %v\n%s", err, out)
	}
	return false
}
