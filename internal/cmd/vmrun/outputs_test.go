package main

import (
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The files a test binary writes are found where testing itself puts them: profiles under
// -test.outputdir, the coverage profile and folders relative to the working folder.
func TestTestFiles(t *testing.T) {
	const wd = "/src/pkg"
	tests := []struct {
		name       string
		args       []string
		goCoverDir string
		files      []string
		dirs       []string
		in         []string
		mkdirs     []string
	}{
		{
			name: "go test -coverprofile",
			args: []string{"-test.paniconexit0", "-test.timeout=10m0s",
				"-test.gocoverdir=/w/b001/gocoverdir", "-test.coverprofile=/w/b001/_cover_.out"},
			goCoverDir: "/w/b001/gocoverdir",
			files:      []string{"/w/b001/_cover_.out"},
			dirs:       []string{"/w/b001/gocoverdir"},
			in:         []string{"/w/b001/gocoverdir"},
			mkdirs:     []string{"/w/b001", "/w/b001/gocoverdir"},
		},
		{
			name:   "go test -cpuprofile -memprofile: under -test.outputdir",
			args:   []string{"-test.cpuprofile=cpu.out", "-test.memprofile=prof/mem.out", "-test.outputdir=/home/u"},
			files:  []string{"/home/u/cpu.out", "/home/u/prof/mem.out"},
			mkdirs: []string{"/home/u", "/home/u/prof"},
		},
		{
			name:   "no -test.outputdir: the working folder",
			args:   []string{"-test.blockprofile=b.out", "-test.mutexprofile=/abs/m.out", "-test.trace=t.out"},
			files:  []string{"/abs/m.out", "/src/pkg/b.out", "/src/pkg/t.out"},
			mkdirs: []string{"/abs", "/src/pkg"},
		},
		{
			name:   "the coverage profile is not under -test.outputdir",
			args:   []string{"-test.outputdir=/home/u", "-test.coverprofile=c.out"},
			files:  []string{"/src/pkg/c.out"},
			mkdirs: []string{"/home/u", "/src/pkg"},
		},
		{
			name:   "a relative -test.outputdir is under the working folder",
			args:   []string{"-test.outputdir=out", "-test.cpuprofile=cpu.out"},
			files:  []string{"/src/pkg/out/cpu.out"},
			mkdirs: []string{"/src/pkg/out"},
		},
		{
			name:   "two arguments, two dashes",
			args:   []string{"-test.memprofile", "mem.out", "--test.trace=trace.out"},
			files:  []string{"/src/pkg/mem.out", "/src/pkg/trace.out"},
			mkdirs: []string{"/src/pkg"},
		},
		{
			name: "the last occurrence wins (go test -args -test.gocoverdir=...)",
			args: []string{"-test.gocoverdir=/w/gocoverdir", "-test.v=true", "-test.gocoverdir=/tmp/covdata"},
			dirs: []string{"/tmp/covdata"}, in: []string{"/tmp/covdata"}, mkdirs: []string{"/tmp/covdata"},
		},
		{
			name: "GOCOVERDIR alone",
			args: []string{"-test.run=X"}, goCoverDir: "/tmp/gcd",
			dirs: []string{"/tmp/gcd"}, in: []string{"/tmp/gcd"}, mkdirs: []string{"/tmp/gcd"},
		},
		{
			name:   "artifacts",
			args:   []string{"-test.artifacts", "-test.outputdir=/home/u"},
			dirs:   []string{"/home/u/_artifacts"},
			mkdirs: []string{"/home/u", "/home/u/_artifacts"},
		},
		{
			name: "artifacts off",
			args: []string{"-test.artifacts=false"},
		},
		{
			name: "other flags and their values are left alone",
			args: []string{"-test.run", "TestCPUProfile", "-msg", "-test.cpuprofile-like value", "x.out"},
		},
		{
			name: "nothing after --",
			args: []string{"-test.v", "--", "-test.cpuprofile=cpu.out"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tio := testFiles(tt.args, wd, tt.goCoverDir)
			for _, c := range []struct {
				what      string
				got, want []string
			}{
				{"files", tio.out.Files, tt.files}, {"dirs", tio.out.Dirs, tt.dirs},
				{"in", tio.in, tt.in}, {"mkdirs", tio.mkdirs, tt.mkdirs},
			} {
				if !slices.Equal(c.got, c.want) && len(c.got)+len(c.want) > 0 {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
		})
	}
}

// Only the files the flags name, and files inside the folders they name, may be written.
func TestOutputsAllows(t *testing.T) {
	o := outputs{Files: []string{"/w/_cover_.out"}, Dirs: []string{"/w/gocoverdir"}}
	tests := []struct {
		path string
		want bool
	}{
		{"/w/_cover_.out", true},
		{"/w/gocoverdir/covcounters.1", true},
		{"/w/gocoverdir/sub/x", true},
		{"/w/gocoverdir", false},
		{"/w/gocoverdir/../evil", false},
		{"/w/gocoverdir/./x", false},
		{"/w/gocoverdirx/y", false},
		{"/w/other.out", false},
		{"w/_cover_.out", false},
		{"/etc/passwd", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := o.allows(tt.path); got != tt.want {
			t.Errorf("allows(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// The meta-data files go test -coverpkg lists in the coverage folder are packed for the guest.
func TestCoverMetaFiles(t *testing.T) {
	tests := []struct {
		name    string
		text    string // metafiles.txt; "" for none
		want    []string
		wantErr string
	}{
		{"none", "", nil, ""},
		{"listed", `{"ImportPaths":["a","b"],"MetaFileFragments":["/w/b2/covmeta.1","/w/b3/covmeta.2"]}`,
			[]string{"/w/b2/covmeta.1", "/w/b3/covmeta.2"}, ""},
		{"not JSON", `covmeta.1`, nil, "metafiles.txt"},
		{"relative", `{"MetaFileFragments":["b2/covmeta.1"]}`, nil, "a relative path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.text != "" {
				if err := os.WriteFile(filepath.Join(dir, metaFilesName), []byte(tt.text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := coverMetaFiles(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("coverMetaFiles: %q, %v; want an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("coverMetaFiles = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// The initramfs of a -coverpkg run holds the coverage folder (writable by the tests'
// unprivileged children), its meta-data list and the files the list names, the folder of the
// profile, and the outputs in the configuration.
func TestInitramfsForCoverage(t *testing.T) {
	dir := t.TempDir()
	gcd, frag := filepath.Join(dir, "b001", "gocoverdir"), filepath.Join(dir, "b002", "covmeta.abc")
	for p, text := range map[string]string{
		filepath.Join(gcd, metaFilesName): `{"ImportPaths":["x"],"MetaFileFragments":["` + frag + `"]}`,
		frag:                              "meta-data",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	profile := filepath.Join(dir, "b001", "_cover_.out")
	args := []string{"-test.gocoverdir=" + gcd, "-test.coverprofile=" + profile}
	bin := fakeELF(t, elf.EM_X86_64, binary.LittleEndian)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tio := testFiles(args, wd, gcd)
	initrd := filepath.Join(dir, "initrd.cpio")
	if err := writeInitramfs(initrd, bin, bin, args, nil, tio); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(initrd)
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]cpioEntry{}
	for _, e := range readCPIO(t, raw) {
		entries["/"+e.name] = e
	}
	if e, ok := entries[gcd]; !ok || e.mode != cpioDir|0o777 {
		t.Errorf("coverage folder: %+v, %v; want a directory with mode 0777", e, ok)
	}
	for p, want := range map[string]string{frag: "meta-data", filepath.Join(gcd, metaFilesName): ""} {
		if e, ok := entries[p]; !ok || !strings.Contains(e.data, want) {
			t.Errorf("%s not packed: %+v", p, e)
		}
	}
	if e, ok := entries[filepath.Dir(profile)]; !ok || e.mode&cpioDir == 0 {
		t.Errorf("the profile's folder is missing: %+v", e)
	}
	var cfg config
	if err := json.Unmarshal([]byte(entries[configPath].data), &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Outputs.Files, []string{profile}) || !slices.Equal(cfg.Outputs.Dirs, []string{gcd}) {
		t.Errorf("configuration outputs %+v", cfg.Outputs)
	}
}
