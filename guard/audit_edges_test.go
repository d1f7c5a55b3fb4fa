package guard_test

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// Every x86 encoding that can write the register is found at its byte, wherever it lies, and
// the look-alikes that cannot (register forms, a cut-off instruction) are not.
func TestAuditX86Encodings(t *testing.T) {
	const base = 0x10000 + 64 + 56 // where craftELF loads the code
	nops := func(n int) []byte { return []byte(strings.Repeat("\x90", n)) }
	tests := []struct {
		name  string
		code  []byte
		found string // the instruction of the one finding; "" for none
		at    int    // its offset in code
	}{
		{"WRPKRU", []byte{0x0f, 0x01, 0xef}, "WRPKRU", 0},
		{"WRPKRU at an odd offset", append(nops(5), 0x0f, 0x01, 0xef), "WRPKRU", 5},
		{"WRPKRU as the last bytes", append(nops(4093), 0x0f, 0x01, 0xef), "WRPKRU", 4093},
		{"WRPKRU cut off by the end", append(nops(2), 0x0f, 0x01), "", 0},
		{"XRSTOR [rdi]", []byte{0x0f, 0xae, 0x2f}, "XRSTOR", 0},
		{"XRSTOR [rax+disp8]", append(nops(1), 0x0f, 0xae, 0x68, 0x10), "XRSTOR", 1},
		{"XRSTOR64 (REX.W)", []byte{0x48, 0x0f, 0xae, 0x2f}, "XRSTOR", 1},
		{"XRSTORS [rdi]", []byte{0x0f, 0xc7, 0x1f}, "XRSTORS", 0},
		{"XRSTORS [rbx+disp32]", []byte{0x0f, 0xc7, 0x9b, 0, 1, 0, 0}, "XRSTORS", 0},
		{"LFENCE (0F AE /5, register form)", []byte{0x0f, 0xae, 0xe8}, "", 0},
		{"0F C7 /3 register form", []byte{0x0f, 0xc7, 0xdb}, "", 0},
		{"XSAVE (0F AE /4)", []byte{0x0f, 0xae, 0x27}, "", 0},
		{"RDPKRU (0F 01 EE)", []byte{0x0f, 0x01, 0xee}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := guard.AuditFile(craftELF(t, elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_X86_64, tt.code, true))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Scanned != len(tt.code) {
				t.Errorf("scanned %d bytes, the segment has %d", rep.Scanned, len(tt.code))
			}
			if tt.found == "" {
				if len(rep.Findings) != 0 {
					t.Errorf("want no findings, got %v", rep.Findings)
				}
				return
			}
			if len(rep.Findings) != 1 {
				t.Fatalf("want one %s, got %v", tt.found, rep.Findings)
			}
			f := rep.Findings[0]
			// No symbol table and no Go line table: the finding names no function, and a
			// finding outside pkru is never expected.
			if f.Instruction != tt.found || f.Addr != uint64(base+tt.at) || f.Symbol != "" || f.Expected {
				t.Errorf("got %+v, want an unexpected %s at %#x with no symbol", f, tt.found, base+tt.at)
			}
			if u := rep.Unexpected(); len(u) != 1 {
				t.Errorf("Unexpected() = %v", u)
			}
		})
	}
}

// A damaged file is an error, never a clean report: the audit cannot vouch for bytes it could
// not read.
func TestAuditFileDamaged(t *testing.T) {
	x86 := craftELF(t, elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_X86_64, []byte{0x90, 0x0f, 0x01, 0xef}, true)
	good, err := os.ReadFile(x86)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path, want string
	}{
		{"a folder", t.TempDir(), "is a directory"},
		{"magic and nothing else", write("magic", []byte(elf.ELFMAG)), "magic"},
		{"a bad header", write("header", append([]byte(elf.ELFMAG), make([]byte, 60)...)), "header"},
		{"code cut short", write("cut", good[:len(good)-3]), "segment 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := guard.AuditFile(tt.path)
			if err == nil {
				t.Fatalf("a damaged file was judged: %+v", rep)
			}
			if errors.Is(err, pkru.ErrNotSupported) || !strings.HasPrefix(err.Error(), "guard.Audit: ") ||
				!strings.Contains(err.Error(), filepath.Base(tt.path)) || rep.Scanned != 0 || len(rep.Findings) != 0 {
				t.Errorf("got %+v, %v; want a plain error naming the file (%s)", rep, err, tt.want)
			}
		})
	}
}

// A section whose bytes lie past the end of the file is an error naming the section.
func TestAuditFileSectionOutsideFile(t *testing.T) {
	bin := buildQuickstart(t, "amd64")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	var shoff uint64
	idx := -1
	for i, s := range f.Sections {
		if s.Name == ".text" {
			idx = i
		}
	}
	data, err := os.ReadFile(bin)
	f.Close()
	if err != nil || idx < 0 {
		t.Fatalf("no .text in %s: %v", bin, err)
	}
	shoff = binary.LittleEndian.Uint64(data[0x28:]) // e_shoff of an ELF64 header
	const shentsize, offField = 64, 24              // Elf64_Shdr and its sh_offset
	binary.LittleEndian.PutUint64(data[shoff+uint64(idx)*shentsize+offField:], uint64(len(data))+1<<20)
	moved := filepath.Join(t.TempDir(), "moved-text")
	if err := os.WriteFile(moved, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if rep, err := guard.AuditFile(moved); err == nil || !strings.Contains(err.Error(), "section .text") {
		t.Errorf("got %d bytes scanned, %v; want an error naming section .text", rep.Scanned, err)
	}
}
