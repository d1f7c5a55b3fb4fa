package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// outputs are the files the test binary writes for the host: profiles named by its flags and the
// folders of coverage data and artifacts. The guest's file system is RAM that disappears at power
// off, so the guest sends them back over the console (transfer.go) and the host writes them at
// the same paths, which are the host paths the flags named (the guest runs in the same folder).
type outputs struct {
	Files []string // absolute paths of files
	Dirs  []string // absolute paths of folders whose files all come back, recursively
}

// fileFlags are the testing flags that name a file the binary writes, and whether testing puts
// a relative path under -test.outputdir (its toOutputDir) rather than the working folder.
var fileFlags = map[string]bool{
	"test.coverprofile": false,
	"test.cpuprofile":   true,
	"test.memprofile":   true,
	"test.blockprofile": true,
	"test.mutexprofile": true,
	"test.trace":        true,
}

// The other testing flags that decide where output goes.
const (
	flagOutputDir = "test.outputdir"  // created in the guest; not sent back (often the package)
	flagCoverDir  = "test.gocoverdir" // coverage meta-data and counters: packed in, sent back
	flagArtifacts = "test.artifacts"  // boolean: the _artifacts folder under -test.outputdir
)

func knownFlag(name string) bool {
	_, ok := fileFlags[name]
	return ok || name == flagOutputDir || name == flagCoverDir || name == flagArtifacts
}

// testFlags returns the value of each testing flag of knownFlag as the flag package
// would see it: -name=value or -name value, one or two dashes, the last occurrence winning.
// It looks at every argument rather than stopping at the first non-flag, since it cannot know
// which of the binary's own flags take a value; a value that itself looks like one of these
// flags is misread, which go test never produces (it writes every flag as -test.name=value).
func testFlags(args []string) map[string]string {
	vals := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, ok := strings.CutPrefix(a, "-")
		if !ok {
			continue
		}
		name = strings.TrimPrefix(name, "-")
		name, val, hasVal := strings.Cut(name, "=")
		if !knownFlag(name) {
			continue
		}
		if !hasVal {
			if name == flagArtifacts {
				val = "true"
			} else if i+1 < len(args) {
				i++
				val = args[i]
			}
		}
		vals[name] = val
	}
	return vals
}

// testIO is what a test binary's flags make it read and write outside its package folder.
type testIO struct {
	out    outputs  // what it writes that goes back to the host
	in     []string // folders whose host contents it reads: coverage meta-data go test put there
	mkdirs []string // folders that must exist in the guest before it starts
}

// testFiles works out testIO for a test binary run with args in folder wd. goCoverDir is the
// GOCOVERDIR the host was given: go test sets it to the -test.gocoverdir folder, and programs
// built with -cover that a test starts write their counters there.
func testFiles(args []string, wd, goCoverDir string) testIO {
	vals := testFlags(args)
	abs := func(p string) string {
		if !filepath.IsAbs(p) {
			p = filepath.Join(wd, p)
		}
		return filepath.Clean(p)
	}
	var tio testIO
	outDir := ""
	if d := vals[flagOutputDir]; d != "" {
		outDir = abs(d)
		tio.mkdirs = append(tio.mkdirs, outDir)
	}
	for name, underOutDir := range fileFlags {
		p := vals[name]
		if p == "" {
			continue
		}
		if underOutDir && outDir != "" && !filepath.IsAbs(p) {
			p = filepath.Join(outDir, p)
		}
		p = abs(p)
		tio.out.Files = append(tio.out.Files, p)
		tio.mkdirs = append(tio.mkdirs, filepath.Dir(p))
	}
	if b, err := strconv.ParseBool(vals[flagArtifacts]); err == nil && b {
		d := wd
		if outDir != "" {
			d = outDir
		}
		tio.out.Dirs = append(tio.out.Dirs, filepath.Join(d, "_artifacts"))
	}
	for _, d := range []string{vals[flagCoverDir], goCoverDir} {
		if d != "" {
			tio.out.Dirs = append(tio.out.Dirs, abs(d))
			tio.in = append(tio.in, abs(d))
		}
	}
	tio.mkdirs = append(tio.mkdirs, tio.out.Dirs...)
	tio.out.Files, tio.out.Dirs = compact(tio.out.Files), compact(tio.out.Dirs)
	tio.in, tio.mkdirs = compact(tio.in), compact(tio.mkdirs)
	return tio
}

// metaFilesName is the file go test -coverpkg puts in the -test.gocoverdir folder: a list of
// the coverage meta-data files, elsewhere in its build folder, of the packages the test binary
// does not link, whose statements count as not run (internal/coverage's MetaFileCollection).
const metaFilesName = "metafiles.txt"

// coverMetaFiles returns the meta-data files that dir's metafiles.txt names; none without one.
// The guest needs them at the same paths, or the test binary fails to write its profile.
func coverMetaFiles(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, metaFilesName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var list struct{ MetaFileFragments []string }
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, metaFilesName), err)
	}
	for _, p := range list.MetaFileFragments {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("%s: a relative path %q", filepath.Join(dir, metaFilesName), p)
		}
	}
	return list.MetaFileFragments, nil
}

func compact(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// allows reports whether the host may write the guest's file at path: one of o's files, or a
// file inside one of its folders. Anything else the console carries is refused, so that output
// which imitates the transfer cannot write elsewhere on the host.
func (o outputs) allows(path string) bool {
	if !filepath.IsAbs(path) || filepath.Clean(path) != path {
		return false
	}
	if slices.Contains(o.Files, path) {
		return true
	}
	for _, d := range o.Dirs {
		if rel, err := filepath.Rel(d, path); err == nil && rel != "." && filepath.IsLocal(rel) {
			return true
		}
	}
	return false
}

// existing returns the regular files now present in o: its files that exist and everything
// under its folders, in order.
func (o outputs) existing() ([]string, error) {
	var paths []string
	for _, f := range o.Files {
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
			paths = append(paths, f)
		}
	}
	for _, d := range o.Dirs {
		found, err := regularFiles(d)
		if err != nil {
			return nil, err
		}
		paths = append(paths, found...)
	}
	return compact(paths), nil
}
