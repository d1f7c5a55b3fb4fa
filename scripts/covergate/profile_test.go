package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two test binaries' views of one package: the host's ran f's first branch, the VM's its second.
const (
	hostProfile = `mode: atomic
example.com/m/a/a.go:3.20,5.2 2 7
example.com/m/a/a.go:5.2,7.3 1 0
example.com/m/a/a.go:8.1,9.2 1 0
example.com/m/b/b.go:1.1,2.2 4 1
`
	vmProfile = `mode: atomic
example.com/m/a/a.go:3.20,5.2 2 3
example.com/m/a/a.go:5.2,7.3 1 9
example.com/m/a/a.go:8.1,9.2 1 0
example.com/m/b/b.go:1.1,2.2 4 0
`
)

func mustParse(t *testing.T, text string) *profile {
	t.Helper()
	p, err := parseProfile(strings.NewReader(text), "test.out")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A block any profile ran is covered, with the largest count; the merge is a valid profile.
func TestMerge(t *testing.T) {
	m, err := merge([]*profile{mustParse(t, hostProfile), mustParse(t, vmProfile)})
	if err != nil {
		t.Fatal(err)
	}
	want := `mode: atomic
example.com/m/a/a.go:3.20,5.2 2 7
example.com/m/a/a.go:5.2,7.3 1 9
example.com/m/a/a.go:8.1,9.2 1 0
example.com/m/b/b.go:1.1,2.2 4 1
`
	if got := m.String(); got != want {
		t.Errorf("merged:\n%s\nwant:\n%s", got, want)
	}
	s := m.summary()
	if a := s.packages["example.com/m/a"]; a != (tally{covered: 3, statements: 4}) {
		t.Errorf("package a: %+v, want 3 of 4", a)
	}
	if b := s.packages["example.com/m/b"]; b != (tally{covered: 4, statements: 4}) {
		t.Errorf("package b: %+v, want 4 of 4", b)
	}
	if s.total != (tally{covered: 7, statements: 8}) || s.total.percent() != 87.5 {
		t.Errorf("total: %+v = %.2f%%, want 7 of 8 = 87.5%%", s.total, s.total.percent())
	}
	alone := mustParse(t, hostProfile).summary().total
	if alone != (tally{covered: 6, statements: 8}) {
		t.Errorf("host alone: %+v, want 6 of 8", alone)
	}
}

// Profiles of different modes merge as set: a count of 9 and a count of 1 both become 1.
func TestMergeModes(t *testing.T) {
	set := "mode: set\nexample.com/m/a/a.go:3.20,5.2 2 1\nexample.com/m/a/a.go:8.1,9.2 1 0\n"
	m, err := merge([]*profile{mustParse(t, set), mustParse(t, vmProfile)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.String(), "mode: set\n") || strings.Contains(m.String(), " 9\n") {
		t.Errorf("a mixed merge must be mode set with counts 0 or 1:\n%s", m)
	}
	if got := m.summary().total; got != (tally{covered: 3, statements: 8}) {
		t.Errorf("total %+v, want 3 of 8 (a.go's first two blocks)", got)
	}
}

// The same range with another statement count is not the same code: merging would lie.
func TestMergeDifferentSources(t *testing.T) {
	other := strings.Replace(vmProfile, "3.20,5.2 2 3", "3.20,5.2 3 3", 1)
	_, err := merge([]*profile{mustParse(t, hostProfile), mustParse(t, other)})
	if err == nil || !strings.Contains(err.Error(), "different sources") {
		t.Fatalf("merge: %v, want an error naming different sources", err)
	}
}

func TestParseProfileErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", "no mode line"},
		{"block first", "example.com/a.go:1.1,2.2 1 1\nmode: set\n", "before the mode line"},
		{"unknown mode", "mode: often\n", "unknown mode"},
		{"two modes", "mode: set\nmode: count\n", "mode count after mode set"},
		{"two fields", "mode: set\nexample.com/a.go:1.1,2.2 1\n", "not three fields"},
		{"no file", "mode: set\n:1.1,2.2 1 1\n", "no file name"},
		{"no range", "mode: set\nexample.com/a.go:1.1 1 1\n", "no range"},
		{"bad position", "mode: set\nexample.com/a.go:1.x,2.2 1 1\n", "bad position"},
		{"zero line", "mode: set\nexample.com/a.go:0.1,2.2 1 1\n", "bad position"},
		{"backwards", "mode: set\nexample.com/a.go:3.1,2.2 1 1\n", "ends before it starts"},
		{"statements", "mode: set\nexample.com/a.go:1.1,2.2 -1 1\n", "bad statement count"},
		{"count", "mode: set\nexample.com/a.go:1.1,2.2 1 many\n", "bad execution count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseProfile(strings.NewReader(tt.text), "x.out")
			if !errors.Is(err, errFormat) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "x.out") {
				t.Fatalf("parse: %v; want errFormat, the file name and %q", err, tt.want)
			}
		})
	}
	// A repeated mode line of the same mode (concatenated profiles) is fine.
	if p := mustParse(t, hostProfile+vmProfile); len(p.blocks) != 8 {
		t.Errorf("concatenated: %d blocks, want 8", len(p.blocks))
	}
}

// The command: the table on stdout, the merged profile with -o, and its exit status against
// the minimum.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	host, vm, bad := filepath.Join(dir, "host.out"), filepath.Join(dir, "vm.out"), filepath.Join(dir, "bad.out")
	for p, text := range map[string]string{host: hostProfile, vm: vmProfile, bad: "not a profile\n"} {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(dir, "merged.out")
	tests := []struct {
		name     string
		paths    []string
		min      float64
		code     int
		stdout   []string
		stderr   string
		writesTo string
	}{
		{"merged passes 85", []string{host, vm}, 85, 0, []string{
			"merged from host.out, vm.out",
			"  example.com/m/a  75.0%  (3 of 4 statements)",
			"  example.com/m/b 100.0%  (4 of 4 statements)",
			"  total            87.5%  (7 of 8 statements)",
			"ok: total coverage 87.5% meets the minimum of 85%",
		}, "", merged},
		{"one suite alone fails 85", []string{host}, 85, 1, []string{
			"total            75.0%", "FAIL: total coverage 75.00% is below the minimum of 85%",
		}, "", ""},
		{"no minimum", []string{host}, 0, 0, []string{"total            75.0%"}, "", ""},
		{"no profiles", nil, 85, 2, nil, "no profiles given", ""},
		{"missing file", []string{filepath.Join(dir, "absent.out")}, 85, 2, nil, "no such file", ""},
		{"not a profile", []string{host, bad}, 85, 2, nil, "bad.out:1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(merged)
			var stdout, stderr strings.Builder
			code := run(tt.paths, tt.min, tt.writesTo, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.stderr)
			}
			if tt.writesTo != "" {
				p, err := os.Open(tt.writesTo)
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				m, err := parseProfile(p, tt.writesTo)
				if err != nil || m.summary().total != (tally{covered: 7, statements: 8}) {
					t.Errorf("the merged profile written: %v, %+v", err, m)
				}
			}
		})
	}
}

// Whatever parses, merges and prints back parses again to the same profile.
func FuzzParseProfile(f *testing.F) {
	f.Add(hostProfile)
	f.Add(vmProfile + "\nmode: atomic\n")
	f.Add("mode: set\na/b.go:1.1,1.1 0 0\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := parseProfile(strings.NewReader(text), "fuzz.out")
		if err != nil {
			if !errors.Is(err, errFormat) && !strings.Contains(err.Error(), "token too long") {
				t.Fatalf("an error that is not errFormat: %v", err)
			}
			return
		}
		m, err := merge([]*profile{p})
		if err != nil {
			return // one profile that holds a range twice with different statement counts
		}
		again, err := parseProfile(strings.NewReader(m.String()), "again.out")
		if err != nil {
			t.Fatalf("the merged profile does not parse: %v\n%s", err, m)
		}
		if again.String() != m.String() {
			t.Fatalf("printed again differently:\n%s\nthen\n%s", m, again)
		}
		if got, want := again.summary().total, m.summary().total; got != want {
			t.Fatalf("summary changed: %+v, then %+v", want, got)
		}
	})
}
