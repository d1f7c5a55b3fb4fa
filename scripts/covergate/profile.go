package main

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
)

// errFormat is wrapped by every error about a profile's text.
var errFormat = errors.New("not a Go coverage profile")

// block is one line of a text profile: a source range, its statements and how often it ran.
type block struct {
	file                                 string // import path of the package / file name
	startLine, startCol, endLine, endCol int
	statements                           int
	count                                int64
}

// key identifies a block's source range across profiles.
type key struct {
	file                                 string
	startLine, startCol, endLine, endCol int
}

func (b block) key() key { return key{b.file, b.startLine, b.startCol, b.endLine, b.endCol} }

// profile is a parsed text profile: its counter mode (set, count or atomic) and blocks.
type profile struct {
	mode   string
	blocks []block
}

// parseProfile reads a text profile as go test -coverprofile and go tool covdata textfmt write
// it: a "mode: M" line, then "file:startLine.startCol,endLine.endCol statements count" lines.
// A mode line may repeat (profiles concatenated) if it names the same mode.
func parseProfile(r io.Reader, name string) (*profile, error) {
	p := &profile{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if mode, ok := strings.CutPrefix(line, "mode: "); ok {
			switch {
			case mode != "set" && mode != "count" && mode != "atomic":
				return nil, fmt.Errorf("%s:%d: unknown mode %q: %w", name, n, mode, errFormat)
			case p.mode != "" && p.mode != mode:
				return nil, fmt.Errorf("%s:%d: mode %s after mode %s: %w", name, n, mode, p.mode, errFormat)
			}
			p.mode = mode
			continue
		}
		if p.mode == "" {
			return nil, fmt.Errorf("%s:%d: a block before the mode line: %w", name, n, errFormat)
		}
		b, err := parseBlock(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		p.blocks = append(p.blocks, b)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if p.mode == "" {
		return nil, fmt.Errorf("%s: no mode line: %w", name, errFormat)
	}
	return p, nil
}

func parseBlock(line string) (block, error) {
	bad := func(why string) (block, error) {
		return block{}, fmt.Errorf("%s in %q: %w", why, line, errFormat)
	}
	f := strings.Fields(line)
	if len(f) != 3 {
		return bad("not three fields")
	}
	i := strings.LastIndexByte(f[0], ':')
	if i <= 0 {
		return bad("no file name")
	}
	b := block{file: f[0][:i]}
	start, end, ok := strings.Cut(f[0][i+1:], ",")
	if !ok {
		return bad("no range")
	}
	var ok1, ok2 bool
	b.startLine, b.startCol, ok1 = position(start)
	b.endLine, b.endCol, ok2 = position(end)
	if !ok1 || !ok2 {
		return bad("bad position")
	}
	if b.endLine < b.startLine || b.endLine == b.startLine && b.endCol < b.startCol {
		return bad("a range that ends before it starts")
	}
	var err error
	if b.statements, err = strconv.Atoi(f[1]); err != nil || b.statements < 0 {
		return bad("bad statement count")
	}
	if b.count, err = strconv.ParseInt(f[2], 10, 64); err != nil || b.count < 0 {
		return bad("bad execution count")
	}
	return b, nil
}

// position parses "line.col".
func position(s string) (line, col int, ok bool) {
	l, c, ok := strings.Cut(s, ".")
	line, err1 := strconv.Atoi(l)
	col, err2 := strconv.Atoi(c)
	return line, col, ok && err1 == nil && err2 == nil && line > 0 && col > 0
}

// merge combines profiles block by block, keeping the largest count of each. Profiles of one
// mode keep it; a mix of modes becomes set, whose counts are 0 or 1. Two blocks of one range
// with different statement counts mean the profiles came from different sources: an error.
func merge(profiles []*profile) (*profile, error) {
	if len(profiles) == 0 {
		return nil, errors.New("nothing to merge")
	}
	mode := profiles[0].mode
	for _, p := range profiles[1:] {
		if p.mode != mode {
			mode = "set"
		}
	}
	byKey := map[key]block{}
	for _, p := range profiles {
		for _, b := range p.blocks {
			if mode == "set" {
				b.count = min(b.count, 1)
			}
			old, ok := byKey[b.key()]
			if !ok {
				byKey[b.key()] = b
				continue
			}
			if old.statements != b.statements {
				return nil, fmt.Errorf("%s:%d.%d,%d.%d has %d statements in one profile "+
					"and %d in another: built from different sources",
					b.file, b.startLine, b.startCol, b.endLine, b.endCol, old.statements, b.statements)
			}
			old.count = max(old.count, b.count)
			byKey[b.key()] = old
		}
	}
	m := &profile{mode: mode}
	for _, b := range byKey {
		m.blocks = append(m.blocks, b)
	}
	slices.SortFunc(m.blocks, func(a, b block) int {
		return cmp.Or(
			cmp.Compare(a.file, b.file),
			cmp.Compare(a.startLine, b.startLine),
			cmp.Compare(a.startCol, b.startCol),
			cmp.Compare(a.endLine, b.endLine),
			cmp.Compare(a.endCol, b.endCol),
		)
	})
	return m, nil
}

// String is the profile in the text format parseProfile reads.
func (p *profile) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mode: %s\n", p.mode)
	for _, x := range p.blocks {
		fmt.Fprintf(&b, "%s:%d.%d,%d.%d %d %d\n",
			x.file, x.startLine, x.startCol, x.endLine, x.endCol, x.statements, x.count)
	}
	return b.String()
}

// tally counts statements and the covered ones among them.
type tally struct{ covered, statements int }

func (t tally) percent() float64 {
	if t.statements == 0 {
		return 0
	}
	return 100 * float64(t.covered) / float64(t.statements)
}

// summary is the coverage of each package of a profile and of all of them.
type summary struct {
	packages map[string]tally
	total    tally
}

func (p *profile) summary() summary {
	s := summary{packages: map[string]tally{}}
	for _, b := range p.blocks {
		pkg := path.Dir(b.file)
		t := s.packages[pkg]
		t.statements += b.statements
		s.total.statements += b.statements
		if b.count > 0 {
			t.covered += b.statements
			s.total.covered += b.statements
		}
		s.packages[pkg] = t
	}
	return s
}

// String is a table: one line per package, in order, then the total.
func (s summary) String() string {
	pkgs := make([]string, 0, len(s.packages))
	width := len("total")
	for p := range s.packages {
		pkgs = append(pkgs, p)
		width = max(width, len(p))
	}
	slices.Sort(pkgs)
	var b strings.Builder
	line := func(name string, t tally) {
		fmt.Fprintf(&b, "  %-*s %5.1f%%  (%d of %d statements)\n",
			width, name, t.percent(), t.covered, t.statements)
	}
	for _, p := range pkgs {
		line(p, s.packages[p])
	}
	line("total", s.total)
	return b.String()
}
