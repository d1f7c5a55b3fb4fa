package main

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

type cpioEntry struct {
	name string
	mode uint32
	data string
}

// readCPIO parses a newc archive: the test's independent reading of what the writer wrote.
func readCPIO(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	for off := 0; ; {
		if off+110 > len(b) || string(b[off:off+6]) != "070701" {
			t.Fatalf("bad header at %d", off)
		}
		field := func(i int) int {
			v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			return int(v)
		}
		mode, size, nameSize := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+nameSize-1])
		if b[off+110+nameSize-1] != 0 {
			t.Fatalf("%s: name not NUL-terminated", name)
		}
		off = (off + 110 + nameSize + 3) &^ 3
		if name == "TRAILER!!!" {
			if off != len(b) {
				t.Errorf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, cpioEntry{name, uint32(mode), string(b[off : off+size])})
		off = (off + size + 3) &^ 3
	}
}

func TestCPIORoundTrip(t *testing.T) {
	var buf bytes.Buffer
	c := newCPIOWriter(&buf)
	for _, f := range []struct {
		name, data string
	}{{"/init", "#!init"}, {"a/b/c.txt", "hello"}, {"/a/b/d", ""}, {"/a/e", "xyz1"}} {
		if err := c.addFile(f.name, 0o755, []byte(f.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%4 != 0 {
		t.Errorf("archive length %d is not a multiple of 4", buf.Len())
	}
	var got []string
	for _, e := range readCPIO(t, buf.Bytes()) {
		got = append(got, e.name+" "+strconv.FormatUint(uint64(e.mode), 8)+" "+e.data)
	}
	want := []string{"init 100755 #!init", "a 40755 ", "a/b 40755 ", "a/b/c.txt 100755 hello", "a/b/d 100755 ", "a/e 100755 xyz1"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("archive holds\n%q\nwant\n%q", got, want)
	}

	// Where the cpio tool is installed, it must agree.
	if _, err := exec.LookPath("cpio"); err == nil {
		cmd := exec.Command("cpio", "-it", "--quiet")
		cmd.Stdin = bytes.NewReader(buf.Bytes())
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("cpio -it: %v", err)
		}
		if got := strings.Fields(string(out)); strings.Join(got, " ") != "init a a/b a/b/c.txt a/b/d a/e" {
			t.Errorf("cpio -it lists %q", got)
		}
	}
}
