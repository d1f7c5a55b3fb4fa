package main

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeELF writes a 64-bit ELF header (no sections, no segments) for machine m in byte order bo.
func fakeELF(t *testing.T, m elf.Machine, bo binary.ByteOrder) string {
	t.Helper()
	h := make([]byte, 64)
	copy(h, elf.ELFMAG)
	h[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	if bo == binary.BigEndian {
		h[elf.EI_DATA] = byte(elf.ELFDATA2MSB)
	}
	h[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	bo.PutUint16(h[16:], uint16(elf.ET_EXEC))
	bo.PutUint16(h[18:], uint16(m))
	bo.PutUint32(h[20:], uint32(elf.EV_CURRENT))
	bo.PutUint16(h[52:], 64) // header size
	p := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(p, h, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// Each test binary boots the machine of its own architecture; others are refused by name.
func TestMachineFor(t *testing.T) {
	tests := []struct {
		name    string
		m       elf.Machine
		bo      binary.ByteOrder
		want    string // arch, or "" for an error
		wantErr string
	}{
		{"amd64", elf.EM_X86_64, binary.LittleEndian, "amd64", ""},
		{"ppc64le", elf.EM_PPC64, binary.LittleEndian, "ppc64le", ""},
		{"big-endian ppc64", elf.EM_PPC64, binary.BigEndian, "", "no test bed"},
		{"arm64", elf.EM_AARCH64, binary.LittleEndian, "", "no test bed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := machineFor(fakeELF(t, tt.m, tt.bo))
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("machineFor: %+v, %v; want an error with %q", m, err, tt.wantErr)
				}
				return
			}
			if err != nil || m.arch != tt.want {
				t.Fatalf("machineFor: %q, %v; want %q", m.arch, err, tt.want)
			}
		})
	}
	ppc := machines[elf.EM_PPC64]
	if !strings.Contains(ppc.append, "disable_radix") || !strings.Contains(strings.Join(ppc.env, " "), "PKEYARENA_EMULATED_AMR=1") {
		t.Errorf("the POWER machine must boot the hash MMU and tell the tests about QEMU's AMR: %+v", ppc)
	}
}

// A POWER guest needs vmrun built for ppc64le beside the host's vmrun; its absence is explained.
func TestGuestInit(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "vmrun")
	ppc := machines[elf.EM_PPC64]
	t.Setenv("VMRUN_INIT", "")
	if got, err := guestInit(machines[elf.EM_X86_64], self); err != nil || got != self {
		t.Errorf("amd64 guest init: %q, %v; want vmrun itself", got, err)
	}
	if _, err := guestInit(ppc, self); err == nil || !strings.Contains(err.Error(), "GOARCH=ppc64le") {
		t.Errorf("missing ppc64le init: %v; want how to build it", err)
	}
	if err := os.WriteFile(self+"-ppc64le", nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := guestInit(ppc, self); err != nil || got != self+"-ppc64le" {
		t.Errorf("ppc64le guest init: %q, %v", got, err)
	}
}
