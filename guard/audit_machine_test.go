package guard_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// These tests only parse files, so they run on every host: the binaries are cross-built or
// crafted.

// pkruPkg begins the symbols of package pkru, whatever the module is called.
var pkruPkg = reflect.TypeFor[pkru.Rights]().PkgPath() + "."

// elfMachineOffset is where e_machine lies in an ELF header, 32- and 64-bit alike.
const elfMachineOffset = 18

// Instruction words, written out rather than built from the decoder's constants (a mistake there
// must not cancel out here). mtspr SPR,RS is 31<<26 | RS<<21 | swapped SPR halves<<11 | 467<<1.
const (
	mtsprAMRr3   = 0x7c6d03a6 // mtspr 13,r3: what pkru.writeAMR holds
	mtspr29r5    = 0x7cbd03a6 // mtspr 29,r5: AMR, privileged number
	mtsprIAMRr3  = 0x7c7d0ba6 // mtspr 61,r3
	mtsprUAMORr3 = 0x7c7d23a6 // mtspr 157,r3
	mtsprAMORr3  = 0x7c7d53a6 // mtspr 349,r3
	mfsprAMRr3   = 0x7c6d02a6 // mfspr r3,13: reads, changes nothing
	mtlrR3       = 0x7c6803a6 // mtspr 8,r3: the link register
)

// buildQuickstart cross-builds examples/quickstart for linux/goarch without cgo.
func buildQuickstart(t *testing.T, goarch string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	bin := filepath.Join(t.TempDir(), "quickstart-"+goarch)
	cmd := exec.Command("go", "build", "-o", bin, "../examples/quickstart")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return bin
}

// patchWord returns a copy of bin with the 4 bytes at sym+off replaced by word (little-endian),
// and the virtual address it patched.
func patchWord(t *testing.T, bin, sym string, off uint64, word uint32) (string, uint64) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var addr uint64
	for _, s := range syms {
		if s.Name == sym {
			addr = s.Value + off
		}
	}
	text := f.Section(".text")
	if addr == 0 || text == nil || addr < text.Addr || addr+4 > text.Addr+text.Size {
		t.Fatalf("%s is not in .text of %s", sym, bin)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(data[text.Offset+addr-text.Addr:], word)
	out := filepath.Join(t.TempDir(), "patched")
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out, addr
}

// A linux/ppc64le build writes the AMR only in pkru, and the audit sees it there; words planted
// in its code are judged by register, by function and by alignment.
func TestAuditPPC64LE(t *testing.T) {
	bin := buildQuickstart(t, "ppc64le")
	rep, err := guard.AuditFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var own int
	for _, f := range rep.Findings {
		if f.Expected && strings.Contains(f.Instruction, "AMR") &&
			strings.HasPrefix(f.Symbol, pkruPkg) {
			own++
		}
	}
	if own == 0 {
		t.Errorf("pkru's own AMR write was not found: the scan proves nothing\n%v", rep.Findings)
	}
	if u := rep.Unexpected(); len(u) > 0 {
		t.Errorf("a clean build writes key registers outside pkru: %v", u)
	}
	t.Logf("%d bytes of code, findings %v", rep.Scanned, rep.Findings)

	tests := []struct {
		name     string
		sym      string
		off      uint64
		word     uint32
		want     string // the register the finding names; "" for no new finding
		expected bool
	}{
		{"mtspr AMR in main", "main.main", 0, mtsprAMRr3, "(AMR)", false},
		{"mtspr AMR privileged", "main.main", 4, mtspr29r5, "29 (AMR", false},
		{"mtspr IAMR", "main.main", 8, mtsprIAMRr3, "(IAMR)", false},
		{"mtspr UAMOR", "main.main", 0, mtsprUAMORr3, "(UAMOR)", false},
		{"mtspr AMOR", "main.main", 0, mtsprAMORr3, "(AMOR)", false},
		{"reserved bit set", "main.main", 0, mtsprAMRr3 | 1, "(AMR)", false},
		{"mtspr AMR in pkru's writeAMR", pkruPkg + "writeAMR.abi0", 0, mtsprAMRr3, "(AMR)", true},
		{"mtspr AMR elsewhere in pkru", pkruPkg + "readAMR.abi0", 0, mtsprAMRr3, "(AMR)", false},
		{"privileged AMR in pkru", pkruPkg + "readAMR.abi0", 0, mtspr29r5, "(AMR", false},
		{"mfspr AMR", "main.main", 0, mfsprAMRr3, "", false},
		{"mtlr", "main.main", 0, mtlrR3, "", false},
		{"misaligned", "main.main", 2, mtsprAMRr3, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			patched, addr := patchWord(t, bin, tt.sym, tt.off, tt.word)
			got, err := guard.AuditFile(patched)
			if err != nil {
				t.Fatal(err)
			}
			var found []guard.Finding
			for _, f := range got.Findings {
				if f.Addr == addr {
					found = append(found, f)
				}
			}
			if n := len(got.Findings) - len(rep.Findings); tt.want == "" {
				if n != 0 || len(found) != 0 {
					t.Errorf("want no new finding, got %v", got.Findings)
				}
				return
			} else if n != 1 || len(found) != 1 {
				t.Fatalf("want one new finding at %#x, got %v", addr, got.Findings)
			}
			f := found[0]
			if !strings.Contains(f.Instruction, tt.want) || f.Expected != tt.expected ||
				f.Symbol != tt.sym {
				t.Errorf("got %v (instruction %q), want %s in %s, expected %v",
					f, f.Instruction, tt.want, tt.sym, tt.expected)
			}
		})
	}

	// The same file with another machine in its header is refused, not reported clean.
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint16(data[elfMachineOffset:], uint16(elf.EM_AARCH64))
	relabelled := filepath.Join(t.TempDir(), "arm64")
	if err := os.WriteFile(relabelled, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := guard.AuditFile(relabelled); !errors.Is(err, pkru.ErrNotSupported) ||
		!strings.Contains(err.Error(), "EM_AARCH64") {
		t.Errorf("relabelled EM_AARCH64: got %v, want ErrNotSupported naming the machine", err)
	}
}

// craftELF writes an ELF file with only a header and, if code is not nil, one loadable segment
// holding it (executable if exec), at 0x10000 plus its file offset. There are no sections.
func craftELF(t *testing.T, class elf.Class, data elf.Data, m elf.Machine, code []byte,
	exec bool) string {
	t.Helper()
	var order binary.ByteOrder = binary.LittleEndian
	if data == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	ident := [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(class), byte(data), 1}
	var buf bytes.Buffer
	if class == elf.ELFCLASS32 {
		binary.Write(&buf, order, elf.Header32{
			Ident: ident, Type: uint16(elf.ET_EXEC), Machine: uint16(m), Version: 1,
			Ehsize: 52, Phentsize: 32, Shentsize: 40,
		})
	} else {
		h := elf.Header64{
			Ident: ident, Type: uint16(elf.ET_EXEC), Machine: uint16(m), Version: 1,
			Ehsize: 64, Phentsize: 56, Shentsize: 64,
		}
		if code != nil {
			h.Phoff, h.Phnum = 64, 1
		}
		binary.Write(&buf, order, h)
		if code != nil {
			const off = 64 + 56
			flags := elf.PF_R
			if exec {
				flags |= elf.PF_X
			}
			binary.Write(&buf, order, elf.Prog64{
				Type: uint32(elf.PT_LOAD), Flags: uint32(flags), Off: off,
				Vaddr: 0x10000 + off, Paddr: 0x10000 + off,
				Filesz: uint64(len(code)), Memsz: uint64(len(code)), Align: 0x10000,
			})
			buf.Write(code)
		}
	}
	path := filepath.Join(t.TempDir(), "crafted")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Files of machines the audit has no decoder for are refused with ErrNotSupported naming what
// they are; the two it judges are scanned, from their segments where there are no sections.
func TestAuditFileMachines(t *testing.T) {
	le := func(w uint32) []byte { return binary.LittleEndian.AppendUint32(nil, w) }
	notELF := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	const (
		x86 = elf.EM_X86_64
		ppc = elf.EM_PPC64
		c64 = elf.ELFCLASS64
		lsb = elf.ELFDATA2LSB
		msb = elf.ELFDATA2MSB
	)
	nop := []byte{0x90, 0x90, 0x90, 0x90}
	tests := []struct {
		name    string
		path    string
		refused string // a word of the refusal; "" when the file is judged
		found   string // the instruction of the one finding; "" for none
	}{
		{"arm64", craftELF(t, c64, lsb, elf.EM_AARCH64, nil, false), "EM_AARCH64", ""},
		{"riscv64", craftELF(t, c64, lsb, elf.EM_RISCV, nil, false), "EM_RISCV", ""},
		{"ppc64 big-endian", craftELF(t, c64, msb, ppc, nil, false), "ELFDATA2MSB", ""},
		{"386", craftELF(t, elf.ELFCLASS32, lsb, elf.EM_386, nil, false), "EM_386", ""},
		{"s390x", craftELF(t, c64, msb, elf.EM_S390, nil, false), "EM_S390", ""},
		{"not ELF", notELF, "not an ELF file", ""},
		{"x86-64, no code", craftELF(t, c64, lsb, x86, nil, false), "", ""},
		{"ppc64le, no code", craftELF(t, c64, lsb, ppc, nil, false), "", ""},
		{"x86-64 segment", craftELF(t, c64, lsb, x86, append(nop, 0x0f, 0x01, 0xef), true),
			"", "WRPKRU"},
		{"ppc64le segment", craftELF(t, c64, lsb, ppc, append(le(0), le(mtsprAMRr3)...), true),
			"", "mtspr 13 (AMR)"},
		{"ppc64le data segment", craftELF(t, c64, lsb, ppc, le(mtsprAMRr3), false), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := guard.AuditFile(tt.path)
			if tt.refused != "" {
				if !errors.Is(err, pkru.ErrNotSupported) || !strings.Contains(err.Error(), tt.refused) {
					t.Errorf("got %v, want an error wrapping ErrNotSupported naming %q", err, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.found == "" && len(rep.Findings) != 0:
				t.Errorf("want no findings, got %v", rep.Findings)
			case tt.found != "" && (len(rep.Findings) != 1 || rep.Findings[0].Instruction != tt.found ||
				rep.Findings[0].Expected):
				t.Errorf("want one unexpected %s, got %v", tt.found, rep.Findings)
			}
		})
	}

	if _, err := guard.AuditFile(filepath.Join(t.TempDir(), "missing")); err == nil ||
		errors.Is(err, pkru.ErrNotSupported) {
		t.Errorf("a missing file: got %v, want an error that is not ErrNotSupported", err)
	}
}
