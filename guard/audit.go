package guard

import (
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Finding is one byte sequence in executable code that encodes an instruction able to change
// the protection-key register.
type Finding struct {
	File        string // the file scanned
	Instruction string // "WRPKRU", "XRSTOR" or "XRSTORS"
	Addr        uint64 // virtual address in the binary
	Symbol      string // the function that contains it, "" if none
	Expected    bool   // inside pkru's own register functions
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

// Unexpected returns the findings outside pkru's own functions: each is code (or bytes inside
// code) that could switch protection keys off.
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
// be read. See AuditFile. In shared libraries every finding is unexpected: glibc's dynamic
// loader, for one, saves and restores registers with XRSTOR, and pkey_set executes WRPKRU.
func Audit() (Report, error) {
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

// pkruFuncs are the functions expected to hold WRPKRU: the register layer.
const pkruPrefix = "github.com/pkeyarena/pkeyarena/pkru."

// AuditFile scans the executable sections of an ELF binary for WRPKRU (0F 01 EF), XRSTOR
// (0F AE /5, memory operand) and XRSTORS (0F C7 /3, memory operand) at every byte offset, since
// x86 can jump into the middle of an instruction, and names the function each lies in.
func AuditFile(path string) (Report, error) {
	f, err := elf.Open(path)
	if err != nil {
		return Report{}, fmt.Errorf("guard.Audit: %w", err)
	}
	defer f.Close()
	rep := Report{Binary: path, Files: []string{path}}
	symbolize := symbolizer(f)
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_EXECINSTR == 0 || s.Type == elf.SHT_NOBITS {
			continue
		}
		code, err := s.Data()
		if err != nil {
			return rep, fmt.Errorf("guard.Audit: section %s: %w", s.Name, err)
		}
		rep.Scanned += len(code)
		for i := 0; i+2 < len(code); i++ {
			if code[i] != 0x0f {
				continue
			}
			op, modrm := code[i+1], code[i+2]
			mod, reg := modrm>>6, (modrm>>3)&7
			var name string
			switch {
			case op == 0x01 && modrm == 0xef:
				name = "WRPKRU"
			case op == 0xae && reg == 5 && mod != 3: // mod 3 is LFENCE and friends
				name = "XRSTOR"
			case op == 0xc7 && reg == 3 && mod != 3:
				name = "XRSTORS"
			default:
				continue
			}
			addr := s.Addr + uint64(i)
			sym := symbolize(addr)
			rep.Findings = append(rep.Findings, Finding{
				File: path, Instruction: name, Addr: addr, Symbol: sym,
				Expected: name == "WRPKRU" && strings.HasPrefix(sym, pkruPrefix),
			})
		}
	}
	return rep, nil
}

// symbolizer names the function at an address: from the ELF symbol table, or, for stripped Go
// binaries (go test links with -s), from the Go line table, which stripping keeps.
func symbolizer(f *elf.File) func(uint64) string {
	if syms := funcSymbols(f); len(syms) > 0 {
		return func(addr uint64) string { return symbolAt(syms, addr) }
	}
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		return func(uint64) string { return "" }
	}
	data, err := pcln.Data()
	if err != nil {
		return func(uint64) string { return "" }
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return func(uint64) string { return "" }
	}
	return func(addr uint64) string {
		if fn := table.PCToFunc(addr); fn != nil {
			return fn.Name
		}
		return ""
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

func symbolAt(syms []elf.Symbol, addr uint64) string {
	i := sort.Search(len(syms), func(i int) bool { return syms[i].Value > addr }) - 1
	if i < 0 {
		return ""
	}
	s := syms[i]
	if s.Size != 0 && addr >= s.Value+s.Size {
		return ""
	}
	return s.Name
}
