package pkutest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/unix"
)

func init() {
	if os.Getenv(childEnv) == "amr" {
		fmt.Println("emulated", EmulatedAMR())
		os.Exit(0)
	}
}

// setEmulatedAMR switches the POWER-guest workarounds on or off for one test.
func setEmulatedAMR(t *testing.T, on bool) {
	old := emulatedAMR
	emulatedAMR = on
	t.Cleanup(func() { emulatedAMR = old })
}

// EmulatedAMR is the variable the VM runner sets in POWER guests, read once at start.
func TestEmulatedAMR(t *testing.T) {
	tests := []struct {
		value, want string
	}{
		{"1", "emulated true"},
		{"", "emulated false"},
		{"0", "emulated false"},
		{"yes", "emulated false"},
	}
	for _, tt := range tests {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), childEnv+"=amr", EmulatedAMREnv+"="+tt.value)
		out, err := cmd.Output()
		if err != nil || strings.TrimSpace(string(out)) != tt.want {
			t.Errorf("%s=%q: %q, %v; want %q", EmulatedAMREnv, tt.value, out, err, tt.want)
		}
	}
	if got := EmulatedAMR(); got != (os.Getenv(EmulatedAMREnv) == "1") {
		t.Errorf("EmulatedAMR() = %v with %s=%q", got, EmulatedAMREnv, os.Getenv(EmulatedAMREnv))
	}
}

// Under the POWER workaround FlushTLB rewrites its own scratch page's PTE (a write, then a
// round trip through read-only) and leaves the probed memory alone: its protection, its bytes,
// and not even a read of it (a PROT_NONE page would fault).
func TestFlushTLB(t *testing.T) {
	setEmulatedAMR(t, true)
	ro := MapPages(t, 1)
	ro[0] = 7
	none := MapPages(t, 1)
	if err := unix.Mprotect(ro, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mprotect(none, unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	scratch := scratchPage()
	before := scratch[0]
	for _, b := range [][]byte{ro, none} {
		if f := Catch(func() { FlushTLB(b) }); f != nil {
			t.Fatalf("FlushTLB touched the probed memory: %v", f)
		}
	}
	if scratch[0] != before+2 {
		t.Errorf("scratch page written %d times by 2 flushes", scratch[0]-before)
	}
	if f := Catch(func() { scratch[0]++ }); f != nil {
		t.Errorf("the scratch page stays read-only after a flush: %v", f)
	}
	if ro[0] != 7 || !WriteFault(ro) || ReadFault(ro) {
		t.Errorf("the probed page's protection or bytes changed: byte %d", ro[0])
	}
	if !ReadFault(none) {
		t.Error("the PROT_NONE page became readable")
	}
	if unix.Getpagesize() != len(scratch) {
		t.Errorf("scratch page of %d bytes", len(scratch))
	}
}

// Flushes from many threads at once: each finds the scratch page writable (the lock keeps
// another flush's read-only moment from faulting it) and none is lost.
func TestFlushTLBConcurrent(t *testing.T) {
	setEmulatedAMR(t, true)
	const goroutines, flushes = 8, 100
	scratch := scratchPage()
	flushMu.Lock()
	before := scratch[0]
	flushMu.Unlock()
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range flushes {
				FlushTLB(nil)
			}
		})
	}
	wg.Wait()
	total := goroutines * flushes
	if got := scratch[0] - before; got != byte(total) {
		t.Errorf("scratch counter advanced %d, want %d (%d mod 256)", got, byte(total), total)
	}
}

// Off the POWER guest FlushTLB does nothing at all.
func TestFlushTLBOff(t *testing.T) {
	setEmulatedAMR(t, false)
	scratch := scratchPage()
	before := scratch[0]
	none := MapPages(t, 1)
	if err := unix.Mprotect(none, unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	if f := Catch(func() { FlushTLB(none) }); f != nil || scratch[0] != before {
		t.Errorf("FlushTLB off: fault %v, scratch %d -> %d", f, before, scratch[0])
	}
}

// logRecorder is a testing.TB that records Logf.
type logRecorder struct {
	testing.TB
	logs []string
}

func (r *logRecorder) Helper() {}
func (r *logRecorder) Logf(f string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(f, args...))
}

// Racing probes that read count, except in the POWER guest, where they are logged and forgiven.
func TestConcurrentLeaks(t *testing.T) {
	tests := []struct {
		emulated bool
		n, want  int64
		logged   bool
	}{
		{false, 0, 0, false},
		{false, 5, 5, false},
		{true, 0, 0, false},
		{true, 5, 0, true},
	}
	for _, tt := range tests {
		setEmulatedAMR(t, tt.emulated)
		var r logRecorder
		got := ConcurrentLeaks(&r, tt.n)
		if got != tt.want || (len(r.logs) > 0) != tt.logged {
			t.Errorf("emulated=%v n=%d: %d, logs %q; want %d, logged %v",
				tt.emulated, tt.n, got, r.logs, tt.want, tt.logged)
		}
		if tt.logged && !(strings.Contains(r.logs[0], "5 probes") &&
			strings.Contains(r.logs[0], "docs/testing.md")) {
			t.Errorf("the log must give the count and where the defect is described: %q", r.logs[0])
		}
	}
}
