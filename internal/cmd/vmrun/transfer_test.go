package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// guestFiles writes the files a test binary would leave: a profile of several data lines, an
// empty one, and coverage data in a folder; it returns the outputs naming them and their bytes.
func guestFiles(t *testing.T) (outputs, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	big := make([]byte, 3*dataLineBytes+100) // random: gzip cannot shrink it below one line
	r := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	want := map[string][]byte{
		filepath.Join(dir, "cpu.out"):               big,
		filepath.Join(dir, "empty.out"):             {},
		filepath.Join(dir, "cov", "covmeta.1"):      []byte("meta\r\nwith a carriage return\n"),
		filepath.Join(dir, "cov", "sub", "counter"): bytes.Repeat([]byte("0123456789"), 1000),
	}
	for p, data := range want {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	o := outputs{
		Files: []string{filepath.Join(dir, "cpu.out"), filepath.Join(dir, "empty.out"), filepath.Join(dir, "absent.out")},
		Dirs:  []string{filepath.Join(dir, "cov")},
	}
	return o, want
}

// send runs the guest's side and removes the files, as powering the guest off does; it returns
// what the console carried, with the carriage returns a serial line adds.
func send(t *testing.T, o outputs, files map[string][]byte) string {
	t.Helper()
	var console bytes.Buffer
	if err := sendOutputs(&console, o); err != nil {
		t.Fatal(err)
	}
	for p := range files {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	return strings.ReplaceAll(console.String(), "\n", "\r\n")
}

// Every file the guest wrote comes back byte for byte, at its path, and the transfer's lines
// never reach the user; the test's own output around them does.
func TestTransferRoundTrip(t *testing.T) {
	o, want := guestFiles(t)
	console := "=== RUN   TestX\r\nPASS\r\n" + send(t, o, want) + "\r\n" + exitMarker + "0\r\n"
	rcv := &receiver{want: o}
	var shown strings.Builder
	status, _, err := relay(strings.NewReader(console), &shown, false, nil, rcv)
	if err != nil || status != 0 {
		t.Fatalf("relay: status %d, %v", status, err)
	}
	if err := rcv.done(); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	if shown.String() != "=== RUN   TestX\nPASS\n" {
		t.Errorf("shown to the user: %q", shown.String())
	}
	if len(rcv.written) != len(want) {
		t.Errorf("written %q, want the %d files that exist", rcv.written, len(want))
	}
	for p, data := range want {
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes, %v; want %d bytes as sent", p, len(got), err, len(data))
		}
	}
	if _, err := os.Stat(o.Files[2]); err == nil {
		t.Errorf("%s was never written in the guest but exists on the host", o.Files[2])
	}
	if strings.Count(console, dataMarker) < 4 {
		t.Errorf("the big file should take several data lines:\n%.300s", console)
	}
}

// A transfer that the console damaged, or that the host did not ask for, fails and writes
// nothing.
func TestTransferRefusesDamage(t *testing.T) {
	tests := []struct {
		name    string
		change  func(console string, o outputs) string
		wantErr string
		intact  bool // the change damages no file: every file still arrives
	}{
		{"a changed byte", func(c string, o outputs) string {
			i := dataLine(t, c, o.Files[0]) + 2000
			flip := byte('A')
			if c[i] == 'A' {
				flip = 'B'
			}
			return c[:i] + string(flip) + c[i+1:]
		}, "damaged on the console", false},
		{"a kernel message inside a data line", func(c string, o outputs) string {
			i := dataLine(t, c, o.Files[0]) + 2000
			return c[:i] + "[   12.345678] random: crng init done\r\n" + c[i:]
		}, "damaged on the console", false},
		{"a lost data line", func(c string, o outputs) string {
			i := dataLine(t, c, o.Files[0])
			j := i + strings.Index(c[i:], "\n") + 1
			return c[:i] + c[j:]
		}, "damaged on the console", false},
		{"cut short", func(c string, _ outputs) string {
			return c[:strings.LastIndex(c, fileEndMarker)]
		}, "cut short", false},
		{"a path nobody asked for", func(c string, o outputs) string {
			return strings.ReplaceAll(c, o.Files[0], filepath.Join(filepath.Dir(o.Files[0]), "elsewhere"))
		}, "no flag of the test binary names", false},
		{"a path that climbs out of a folder", func(c string, o outputs) string {
			return strings.ReplaceAll(c, filepath.Join(o.Dirs[0], "covmeta.1"), o.Dirs[0]+"/../../x")
		}, "no flag of the test binary names", false},
		{"an unreadable header", func(c string, _ outputs) string {
			return strings.Replace(c, fileMarker+"{", fileMarker+"{{", 1)
		}, "unreadable file header", false},
		{"data outside a file", func(c string, _ outputs) string {
			return dataMarker + "AAAA\r\n" + c
		}, "outside a file", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, files := guestFiles(t)
			console := tt.change(send(t, o, files), o)
			rcv := &receiver{want: o}
			if _, _, err := relay(strings.NewReader(console+exitMarker+"0\r\n"), &strings.Builder{}, false, nil, rcv); err != nil {
				t.Fatal(err)
			}
			err := rcv.done()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("transfer error %v; want one saying %q", err, tt.wantErr)
			}
			dir := filepath.Dir(o.Files[0])
			left, _ := regularFiles(filepath.Dir(dir))
			for _, p := range left {
				if data, ok := files[p]; ok && !bytes.Equal(mustRead(t, p), data) {
					t.Errorf("%s was written with other bytes than the guest sent", p)
				} else if !ok {
					t.Errorf("%s was written, which the guest never sent", p)
				}
			}
			if !tt.intact && len(left) >= len(files) {
				t.Errorf("every file was written (%q) although one transfer was damaged", left)
			}
		})
	}
}

// dataLine returns the offset in console of the first data line of the file at path.
func dataLine(t *testing.T, console, path string) int {
	t.Helper()
	h := strings.Index(console, fileMarker+`{"path":"`+path+`"`)
	if h < 0 {
		t.Fatalf("no header for %s", path)
	}
	return h + strings.Index(console[h:], dataMarker)
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
