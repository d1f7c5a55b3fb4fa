// Package clitest has helpers for tests that drive real command-line tools (openssl, curl,
// ssh-add): finding a tool, which fails rather than skips in CI, running it with a bound, and
// collecting a server's output from several goroutines.
package clitest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timeout bounds each tool run, so that a hung client fails its test rather than hanging it;
// nothing waits on it for synchronisation.
const Timeout = time.Minute

// NeedTool returns the path of a command-line tool. Without it the test skips, except in CI
// (CI=true), where it fails: CI installs the tools (pkg names the packages, for the message).
func NeedTool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is required in CI (install %s): %v", name, pkg, err)
		}
		tb.Skipf("needs %s: %v", name, err)
	}
	return path
}

// Cmd describes one run of a tool: where, with which additions to the environment, and what on
// its standard input.
type Cmd struct {
	Dir   string
	Env   []string
	Stdin string
}

// Run runs name with args as c says, within Timeout, and returns its combined output and error.
func (c Cmd) Run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stdin = strings.NewReader(c.Stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Must is Run that fails the test, with the output, when the command fails.
func (c Cmd) Must(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := c.Run(name, args...)
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return out
}

// Buffer is a strings.Builder safe for concurrent writers: a server's log, read by its test.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
