package clitest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Run gives the tool its directory, environment and input, and returns its output and failure;
// NeedTool finds a tool on PATH and skips or fails without one.
func TestRun(t *testing.T) {
	sh := NeedTool(t, "sh", "dash")
	dir := t.TempDir()
	out := Cmd{Dir: dir, Env: []string{"CLITEST_X=42"}, Stdin: "in"}.Must(t, sh, "-c",
		`printf '%s %s ' "$PWD" "$CLITEST_X"; cat`)
	if want := dir + " 42 in"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	if _, err := (Cmd{}).Run(sh, "-c", "exit 3"); err == nil {
		t.Error("a failing command reported no error")
	}
	t.Setenv("PATH", "")
	t.Setenv("CI", "true")
	var failed bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { failed = recover() == errFatal }()
		NeedTool(fatalTB{t}, "sh", "dash")
	}()
	<-done
	if !failed {
		t.Error("NeedTool did not fail in CI without the tool")
	}
}

var errFatal = fmt.Errorf("fatal")

type fatalTB struct{ testing.TB }

func (fatalTB) Helper()                    {}
func (fatalTB) Fatalf(string, ...any)      { panic(errFatal) }
func (f fatalTB) Skipf(s string, a ...any) { f.TB.Errorf("skipped in CI: "+s, a...) }

// Buffer takes writes from many goroutines.
func TestBuffer(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { fmt.Fprint(&b, "x") })
	}
	wg.Wait()
	if b.String() != strings.Repeat("x", 8) {
		t.Errorf("got %q", b.String())
	}
}
