//go:build amd64 || arm64

package gid

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCallbacksFromCThreads pins down what the runtime does with callbacks from C threads, on
// which package domain's tracking of tokens relies: a C thread keeps its goroutine, identifier
// included, from one callback to the next, and two C threads alive at once never share one. (Once
// a C thread ends, the next may get its goroutine: logged, not required.)
func TestCallbacksFromCThreads(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	out, _ := exec.Command("go", "env", "CGO_ENABLED").Output()
	if strings.TrimSpace(string(out)) != "1" {
		t.Skip("cgo is off: there are no C threads to call back from")
	}
	bin := filepath.Join(t.TempDir(), "ccallback")
	build := exec.Command("go", "build", "-o", bin, "./testdata/ccallback")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the cgo program: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	ids := map[string][]string{} // thread → identifiers of its callbacks
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		thread, id, ok := strings.Cut(line, " ")
		if !ok || id == "0" {
			t.Fatalf("unexpected line %q in\n%s", line, out)
		}
		ids[thread] = append(ids[thread], id)
	}
	for _, thread := range []string{"1", "2", "3"} {
		if got := ids[thread]; len(got) != 2 || got[0] != got[1] {
			t.Fatalf("C thread %s: identifiers %v, want the same one twice", thread, got)
		}
	}
	if ids["1"][0] == ids["2"][0] {
		t.Errorf("two C threads alive at once share identifier %s", ids["1"][0])
	}
	t.Logf("identifiers: thread 1 %s, thread 2 %s; thread 3, started after both ended, %s",
		ids["1"][0], ids["2"][0], ids["3"][0])
}
