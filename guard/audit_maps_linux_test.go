package guard_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/pkeyarena/pkeyarena/guard"
)

// A file the process maps executable that is not ELF is skipped, as Audit documents, while the
// executable itself and its real libraries are still scanned.
func TestAuditSkipsMappedNonELF(t *testing.T) {
	p := filepath.Join(t.TempDir(), "not-elf.bin")
	if err := os.WriteFile(p, make([]byte, os.Getpagesize()), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := syscall.Mmap(int(f.Fd()), 0, os.Getpagesize(), syscall.PROT_READ|syscall.PROT_EXEC, syscall.MAP_PRIVATE)
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		t.Skipf("cannot map %s executable here (noexec mount?): %v", p, err)
	} else if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	before, err := guard.Audit()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	if len(before.Files) == 0 || before.Files[0] != exe || before.Binary != exe {
		t.Errorf("the executable is not the first file audited: %q (binary %q)", before.Files, before.Binary)
	}
	if slices.Contains(before.Files, p) {
		t.Errorf("the mapped non-ELF file was counted as audited: %q", before.Files)
	}
	if _, err := guard.AuditFile(p); err == nil {
		t.Error("AuditFile judged a file of zeros")
	}
}
