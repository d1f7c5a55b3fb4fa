package main

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
)

// machine is how to boot a guest for one architecture.
type machine struct {
	arch      string   // GOARCH of the test binaries it runs
	qemu      string   // default QEMU binary (VMRUN_QEMU overrides)
	kernelDir string   // folder under the cache that scripts/vm-deps.sh fills
	kernelPat string   // the image's name inside kernelDir/boot
	args      []string // machine and CPU, before the common arguments
	append    string   // kernel command line
	env       []string // extra guest environment
}

// machines are the emulated test beds. amd64: q35 with -cpu max, whose TCG CPU has PKU.
// ppc64le: a POWER9 PowerNV machine; pkeys need the hash MMU (disable_radix), and QEMU 7.2's
// emulation has two defects the tests work around (see docs/testing.md): it does not flush its
// TLB when the AMR revokes access, and mfspr 13 reads 0 in user mode.
var machines = map[elf.Machine]machine{
	elf.EM_X86_64: {
		arch: "amd64", qemu: "qemu-system-x86_64", kernelDir: "kernel-amd64", kernelPat: "vmlinuz-*",
		args: []string{"-machine", "q35", "-accel", "tcg",
			"-cpu", envOr("VMRUN_CPU", "max"), "-smp", "2"},
		append: "console=ttyS0 quiet panic=-1 secretmem.enable=1",
	},
	elf.EM_PPC64: {
		arch: "ppc64le", qemu: "qemu-system-ppc64", kernelDir: "kernel-ppc64el", kernelPat: "vmlinux-*",
		args: []string{"-machine", "powernv9", "-accel", "tcg",
			"-cpu", envOr("VMRUN_CPU", "power9"), "-smp", "2"},
		append: "console=hvc0 quiet panic=-1 secretmem.enable=1" + hashMMU(),
		env:    []string{"PKEYARENA_EMULATED_AMR=1"},
	},
}

// hashMMU asks a POWER guest's kernel for the hash MMU, which protection keys need, unless
// VMRUN_MMU=radix (make test-vm-nopku-ppc64le: a guest without keys, where the PKU tests must
// fail).
func hashMMU() string {
	if os.Getenv("VMRUN_MMU") == "radix" {
		return ""
	}
	return " disable_radix"
}

// machineFor picks the machine for a test binary by its ELF header.
func machineFor(binary string) (machine, error) {
	f, err := elf.Open(binary)
	if err != nil {
		return machine{}, err
	}
	defer f.Close()
	m, ok := machines[f.Machine]
	if !ok || (f.Machine == elf.EM_PPC64 && f.ByteOrder.String() != "LittleEndian") {
		return machine{}, fmt.Errorf("%s: no test bed for %v (%v) binaries",
			binary, f.Machine, f.ByteOrder)
	}
	return m, nil
}

// guestInit returns the /init for m's guests: this very binary for amd64 guests (vmrun runs on
// amd64 hosts), else its sibling built for the guest, named vmrun-GOARCH (make test-vm-ppc64le
// builds it), or VMRUN_INIT.
func guestInit(m machine, self string) (string, error) {
	if p := os.Getenv("VMRUN_INIT"); p != "" {
		return p, nil
	}
	if m.arch == "amd64" {
		return self, nil
	}
	p := filepath.Join(filepath.Dir(self), "vmrun-"+m.arch)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no /init for %s guests: build it with "+
			"CGO_ENABLED=0 GOARCH=%s go build -o %s ./internal/cmd/vmrun (make test-vm-%s does): %w",
			m.arch, m.arch, p, m.arch, err)
	}
	return p, nil
}
