package guard

import (
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// Finding is one byte sequence in executable code that encodes an instruction able to change
// the protection-key register (x86 PKRU, POWER AMR and the registers that gate it).
type Finding struct {
	File        string // the file scanned
	Instruction string // x86: "WRPKRU", "XRSTOR" or "XRSTORS"; POWER: "mtspr 13 (AMR)" and the like
	Addr        uint64 // virtual address in the binary
	Symbol      string // the function that contains it, "" if none
	Expected    bool   // inside pkru's own register write (by its symbol: pkruWriters)
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s at %#x of %s", f.Instruction, f.Addr, f.File)
	if f.Symbol != "" {
		s += " in " + f.Symbol
	}
	if f.Expected {
		s += " (expected: pkru's own)"
	}
	return s
}

// Report is the result of an audit.
type Report struct {
	Binary   string   // the executable
	Files    []string // every file scanned: the executable, then mapped shared objects
	Scanned  int      // bytes of executable code scanned
	Findings []Finding
}

// Unexpected returns the findings outside pkru's own register write: each is code (or bytes
// inside code) that could switch protection keys off.
func (r Report) Unexpected() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if !f.Expected {
			out = append(out, f)
		}
	}
	return out
}

// Audit scans the running executable and every other file mapped executable in the process
// (/proc/self/maps: the dynamic loader and shared libraries of cgo or -race programs) that can
// be read. See AuditFile, which judges x86-64 and little-endian ppc64: on any other machine
// Audit returns its error, wrapping pkru.ErrNotSupported. In shared libraries every finding is
// unexpected: glibc's dynamic loader, for one, saves and restores registers with XRSTOR, and
// its pkey_set writes the register.
func Audit() (Report, error) {
	runtime.KeepAlive(keepWriter)
	exe, err := os.Executable()
	if err != nil {
		return Report{}, fmt.Errorf("guard.Audit: %w", err)
	}
	rep, err := AuditFile(exe)
	if err != nil {
		return rep, err
	}
	for _, lib := range mappedExecutables(exe) {
		r, err := AuditFile(lib)
		if err != nil {
			continue // not ELF, or not readable: skipped, as documented
		}
		rep.Files = append(rep.Files, lib)
		rep.Scanned += r.Scanned
		rep.Findings = append(rep.Findings, r.Findings...)
	}
	return rep, nil
}

// mappedExecutables lists the files other than exe that the process maps with execute permission.
func mappedExecutables(exe string) []string {
	data, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return nil
	}
	real, _ := filepath.EvalSymlinks(exe)
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.Contains(f[1], "x") || !strings.HasPrefix(f[5], "/") {
			continue
		}
		path := f[5]
		if path == exe || path == real || slices.Contains(out, path) {
			continue
		}
		out = append(out, path)
	}
	return out
}

// pkruWriters maps the symbols of package pkru's register writes (x86 WRPKRU, POWER mtspr AMR),
// with and without the ".abi0" the linker may give an assembly function, to the name without:
// the only code expected to write the register. Another global function of that name is refused
// by the linker, but a file-local one (TEXT name<>(SB)) is not, so a function is trusted as
// pkru's write only when no function of the binary that is not global bears either form of the
// name, and, in a binary without a symbol table (whose function table tells no binding), when
// exactly one function bears it (trusted). The path comes from one of pkru's types, so a
// renamed module or a fork needs no edit here.
var pkruWriters = func() map[string]string {
	m := map[string]string{}
	for _, fn := range []string{"wrpkru", "writeAMR"} {
		name := reflect.TypeFor[pkru.Rights]().PkgPath() + "." + fn
		m[name], m[name+".abi0"] = name, name
	}
	return m
}()

// keepWriter keeps pkru's register write in every binary that can run Audit, so that a
// file-local function named as it never stands alone in a stripped binary.
var keepWriter = pkru.Write

// trusted reports whether function name is pkru's register write: global says whether its
// symbol is, and others counts, per name without ".abi0", the functions that bear it and are
// not global (symbol table), or all of them (function table: global is false for none).
func trusted(name string, global bool, others map[string]int, symtab bool) bool {
	bare, ok := pkruWriters[name]
	if !ok || !global {
		return false
	}
	if symtab {
		return others[bare] == 0
	}
	return others[bare] == 1
}

// AuditFile scans the executable code of an ELF binary for instructions that can write the
// protection-key register and names the function each lies in. It judges two machines:
//
//   - x86-64: WRPKRU (0F 01 EF), XRSTOR (0F AE /5, memory operand) and XRSTORS (0F C7 /3,
//     memory operand) at every byte offset, since x86 can jump into the middle of an instruction.
//   - little-endian ppc64: mtspr to the AMR (SPR 13, the one problem state may write, and its
//     privileged number 29), IAMR (61), UAMOR (157) and AMOR (349), at every aligned word.
//
// Any other machine, and a file that is not ELF, is refused with an error wrapping
// pkru.ErrNotSupported that names what the file is: a scan that knows no encoding would report
// nothing and read as clean.
func AuditFile(path string) (Report, error) {
	file, err := os.Open(path)
	if err != nil {
		return Report{}, fmt.Errorf("guard.Audit: %w", err)
	}
	defer file.Close()
	var magic [len(elf.ELFMAG)]byte
	if _, err := file.ReadAt(magic[:], 0); err != nil && err != io.EOF {
		return Report{}, fmt.Errorf("guard.Audit: %w", err)
	} else if err != nil || string(magic[:]) != elf.ELFMAG {
		return Report{}, fmt.Errorf("guard.Audit: %s: %w: not an ELF file", path, pkru.ErrNotSupported)
	}
	f, err := elf.NewFile(file)
	if err != nil {
		return Report{}, fmt.Errorf("guard.Audit: %s: %w", path, err)
	}
	scan, err := scanner(f)
	if err != nil {
		return Report{}, fmt.Errorf("guard.Audit: %s: %w", path, err)
	}
	runs, err := codeOf(f)
	if err != nil {
		return Report{}, fmt.Errorf("guard.Audit: %s: %w", path, err)
	}
	rep := Report{Binary: path, Files: []string{path}}
	symbolize := symbolizer(f)
	for _, c := range runs {
		rep.Scanned += len(c.data)
		scan(c.data, c.addr, func(addr uint64, name string, pkruWrites bool) {
			sym, writer := symbolize(addr)
			rep.Findings = append(rep.Findings, Finding{
				File: path, Instruction: name, Addr: addr, Symbol: sym,
				Expected: pkruWrites && writer,
			})
		})
	}
	return rep, nil
}

// A scanFunc reports each instruction in code (loaded at addr) that can write the register:
// its address, its name, and whether it is the one pkru's register functions use.
type scanFunc func(code []byte, addr uint64, found func(addr uint64, name string, pkruWrites bool))

// scanner picks the decoder for the file's machine, or refuses it.
func scanner(f *elf.File) (scanFunc, error) {
	switch {
	case f.Machine == elf.EM_X86_64:
		return scanX86, nil
	case f.Machine == elf.EM_PPC64 && f.Data == elf.ELFDATA2LSB:
		return scanPower, nil
	}
	return nil, fmt.Errorf("%w: no decoder for %v code (%v, %v); the audit judges x86-64 and "+
		"little-endian ppc64", pkru.ErrNotSupported, f.Machine, f.Class, f.Data)
}

// codeRun is one run of executable bytes and the address it is loaded at.
type codeRun struct {
	addr uint64
	data []byte
}

// codeOf returns the executable sections, or, where the section headers are gone, the
// executable loadable segments, so that such a file is not reported clean for lack of sections.
func codeOf(f *elf.File) ([]codeRun, error) {
	var out []codeRun
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_EXECINSTR == 0 || s.Type == elf.SHT_NOBITS {
			continue
		}
		data, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("section %s: %w", s.Name, err)
		}
		out = append(out, codeRun{s.Addr, data})
	}
	if len(out) > 0 {
		return out, nil
	}
	for i, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Flags&elf.PF_X == 0 {
			continue
		}
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err != nil {
			return nil, fmt.Errorf("segment %d: %w", i, err)
		}
		out = append(out, codeRun{p.Vaddr, data})
	}
	return out, nil
}

// The x86 encodings the audit looks for (Intel SDM vol. 2): each is the two-byte opcode escape
// 0F, a second opcode byte and a ModRM byte. WRPKRU is 0F 01 EF; XRSTOR is 0F AE /5 and XRSTORS
// 0F C7 /3 (the /n is the ModRM reg field), both with a memory operand: ModRM mod 3 names a
// register, and 0F AE /5 with mod 3 is LFENCE.
const (
	x86Escape      = 0x0f
	x86WRPKRUOp    = 0x01
	x86WRPKRUModRM = 0xef
	x86XRSTOROp    = 0xae
	x86XRSTORReg   = 5
	x86XRSTORSOp   = 0xc7
	x86XRSTORSReg  = 3
	x86ModRegister = 3 // ModRM mod: the operand is a register, not memory
)

// modrmFields splits a ModRM byte into its mod (top 2 bits) and reg (next 3 bits) fields.
func modrmFields(modrm byte) (mod, reg byte) { return modrm >> 6, (modrm >> 3) & 7 }

// scanX86 looks at every byte offset: x86 instructions have no alignment.
func scanX86(code []byte, base uint64, found func(uint64, string, bool)) {
	for i := 0; i+2 < len(code); i++ {
		if code[i] != x86Escape {
			continue
		}
		op, modrm := code[i+1], code[i+2]
		mod, reg := modrmFields(modrm)
		switch {
		case op == x86WRPKRUOp && modrm == x86WRPKRUModRM:
			found(base+uint64(i), "WRPKRU", true)
		case op == x86XRSTOROp && reg == x86XRSTORReg && mod != x86ModRegister:
			found(base+uint64(i), "XRSTOR", false)
		case op == x86XRSTORSOp && reg == x86XRSTORSReg && mod != x86ModRegister:
			found(base+uint64(i), "XRSTORS", false)
		}
	}
}

// Fields of mtspr SPR,RS (Power ISA Book I, XFX form), in the value of the 32-bit instruction
// word: primary opcode 31 in the top 6 bits, RS in the next 5, the SPR number in the next 10
// with its two 5-bit halves swapped, extended opcode 467 above the lowest bit. RS and the lowest
// bit (reserved) are not compared: any source register writes the SPR.
const (
	powerOpcodeMask = 0x3f << 26
	powerOpcode31   = 31 << 26
	powerSPRShift   = 11 // where the SPR field starts
	powerSPRMask    = 0x3ff << powerSPRShift
	powerXOMask     = 0x3ff << 1
	powerXOMtspr    = 467 << 1
	powerMtsprMask  = powerOpcodeMask | powerSPRMask | powerXOMask
	powerHalfBits   = 5    // each half of the SPR field
	powerHalfMask   = 0x1f // one half
	powerInsnBytes  = 4    // every POWER instruction word, at an address aligned to it
)

// The special-purpose registers that hold or gate key rights (Power ISA Book III): the AMR by
// its problem-state number and its privileged one, the IAMR, and the two masks that say which
// AMR bits the less privileged levels may change.
const (
	sprAMR           = 13
	sprAMRPrivileged = 29
	sprIAMR          = 61
	sprUAMOR         = 157
	sprAMOR          = 349
)

// powerSPRField is spr as mtspr encodes it: low half first, then high half.
func powerSPRField(spr uint32) uint32 {
	low, high := spr&powerHalfMask, (spr>>powerHalfBits)&powerHalfMask
	return (low<<powerHalfBits | high) << powerSPRShift
}

// powerKeySPRs are the registers that hold or gate the key rights. Problem state may write only
// the AMR as SPR 13, the one pkru writes; the others trap there but are flagged all the same.
var powerKeySPRs = []struct {
	word uint32 // the mtspr word with RS and the reserved bit zero
	name string
}{
	{powerOpcode31 | powerSPRField(sprAMR) | powerXOMtspr, "mtspr 13 (AMR)"},
	{powerOpcode31 | powerSPRField(sprAMRPrivileged) | powerXOMtspr, "mtspr 29 (AMR, privileged)"},
	{powerOpcode31 | powerSPRField(sprIAMR) | powerXOMtspr, "mtspr 61 (IAMR)"},
	{powerOpcode31 | powerSPRField(sprUAMOR) | powerXOMtspr, "mtspr 157 (UAMOR)"},
	{powerOpcode31 | powerSPRField(sprAMOR) | powerXOMtspr, "mtspr 349 (AMOR)"},
}

// scanPower looks at every 4-byte aligned little-endian word: the only places a POWER CPU
// fetches instructions from. The suffix of a prefixed instruction is such a word too.
func scanPower(code []byte, base uint64, found func(uint64, string, bool)) {
	first := int((powerInsnBytes - base%powerInsnBytes) % powerInsnBytes)
	for i := first; i+powerInsnBytes <= len(code); i += powerInsnBytes {
		w := binary.LittleEndian.Uint32(code[i:])
		if w&powerOpcodeMask != powerOpcode31 {
			continue
		}
		for j, k := range powerKeySPRs {
			if w&powerMtsprMask == k.word {
				found(base+uint64(i), k.name, j == 0)
				break
			}
		}
	}
}

// symbolizer names the function at an address: from the ELF symbol table, or, for stripped Go
// binaries (go test links with -s), from the Go line table, which stripping keeps.
func symbolizer(f *elf.File) func(uint64) (name string, writer bool) {
	if syms := funcSymbols(f); len(syms) > 0 {
		local := map[string]int{}
		for _, s := range syms {
			if bare, ok := pkruWriters[s.Name]; ok && elf.ST_BIND(s.Info) != elf.STB_GLOBAL {
				local[bare]++
			}
		}
		return func(addr uint64) (string, bool) {
			s, ok := symbolAt(syms, addr)
			if !ok {
				return "", false
			}
			return s.Name, trusted(s.Name, elf.ST_BIND(s.Info) == elf.STB_GLOBAL, local, true)
		}
	}
	none := func(uint64) (string, bool) { return "", false }
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		return none
	}
	data, err := pcln.Data()
	if err != nil {
		return none
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return none
	}
	all := map[string]int{} // a stripped binary tells no binding: the names must do
	for _, fn := range table.Funcs {
		if bare, ok := pkruWriters[fn.Name]; ok {
			all[bare]++
		}
	}
	return func(addr uint64) (string, bool) {
		if fn := table.PCToFunc(addr); fn != nil {
			return fn.Name, trusted(fn.Name, true, all, false)
		}
		return "", false
	}
}

func funcSymbols(f *elf.File) []elf.Symbol {
	syms, _ := f.Symbols()
	out := syms[:0]
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Value < out[j].Value })
	return out
}

func symbolAt(syms []elf.Symbol, addr uint64) (elf.Symbol, bool) {
	i := sort.Search(len(syms), func(i int) bool { return syms[i].Value > addr }) - 1
	if i < 0 {
		return elf.Symbol{}, false
	}
	s := syms[i]
	if s.Size != 0 && addr >= s.Value+s.Size {
		return elf.Symbol{}, false
	}
	return s, true
}
