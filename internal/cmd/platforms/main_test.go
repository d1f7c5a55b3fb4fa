package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/platforms"
)

const stale = "# Platforms\n\nintro\n\n" + platforms.Start + "\n| old table |\n" + platforms.End +
	"\n\nnotes\n"

func writeDoc(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "platforms.md")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readDoc(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Without -check a stale table is rewritten, and nothing else in the file changes; with -check
// it is reported and left alone; an up-to-date file passes both ways untouched.
func TestRun(t *testing.T) {
	fresh, err := platforms.Splice(stale)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, content string
		check         bool
		wantErr       error
		want          string
	}{
		{"stale, write", stale, false, nil, fresh},
		{"stale, check", stale, true, errStale, stale},
		{"fresh, write", fresh, false, nil, fresh},
		{"fresh, check", fresh, true, nil, fresh},
		{"no markers", "# Platforms\n", false, platforms.ErrNoMarkers, "# Platforms\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeDoc(t, tt.content)
			args := []string{"-doc", path}
			if tt.check {
				args = append(args, "-check")
			}
			if err := run(args, io.Discard); !errors.Is(err, tt.wantErr) {
				t.Errorf("run: %v, want %v", err, tt.wantErr)
			}
			if got := readDoc(t, path); got != tt.want {
				t.Errorf("file after run:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
	if !strings.HasPrefix(fresh, "# Platforms\n\nintro\n\n") ||
		!strings.HasSuffix(fresh, "\n\nnotes\n") || !strings.Contains(fresh, platforms.Markdown()) {
		t.Errorf("the rewritten file lost text outside the markers or lacks the table:\n%s", fresh)
	}
}

func TestRunBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"-doc", filepath.Join(t.TempDir(), "missing.md")},
		{"-nosuchflag"},
		{"-doc", writeDoc(t, stale), "extra"},
	} {
		if err := run(args, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
