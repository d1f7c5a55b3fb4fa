// Command covergate merges Go text coverage profiles and fails when the statement coverage of
// the merge is below a minimum. make cover (and so make test) runs it over the profiles of the
// host suite in each mode and of the emulated-PKU suite:
//
//	go run ./scripts/covergate -min 85 -o merged.out host-mprotect.out vm-pku.out
//
// A block that several profiles hold (each test binary built with -coverpkg reports every
// package it covers) counts as covered if any of them ran it; its merged count is the largest.
// It prints the coverage of each package and the total, and writes the merged profile with -o
// (go tool cover -html=merged.out shows what no suite runs). Exit status 1: below the minimum;
// 2: bad usage or an unreadable profile.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	min := flag.Float64("min", 0, "fail when the total statement coverage is below this percentage")
	out := flag.String("o", "", "write the merged profile to this `file`")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: covergate [-min PERCENT] [-o merged.out] PROFILE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	os.Exit(run(flag.Args(), *min, *out, os.Stdout, os.Stderr))
}

func run(paths []string, min float64, out string, stdout, stderr io.Writer) int {
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "covergate: no profiles given")
		return 2
	}
	var profiles []*profile
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintf(stderr, "covergate: %v\n", err)
			return 2
		}
		prof, err := parseProfile(f, p)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "covergate: %v\n", err)
			return 2
		}
		profiles = append(profiles, prof)
	}
	merged, err := merge(profiles)
	if err != nil {
		fmt.Fprintf(stderr, "covergate: %v\n", err)
		return 2
	}
	if out != "" {
		if err := os.WriteFile(out, []byte(merged.String()), 0o644); err != nil {
			fmt.Fprintf(stderr, "covergate: %v\n", err)
			return 2
		}
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	sum := merged.summary()
	if sum.total.statements == 0 {
		fmt.Fprintln(stderr, "covergate: the profiles hold no statements")
		return 2
	}
	fmt.Fprintf(stdout, "statement coverage, merged from %s:\n%s", strings.Join(names, ", "), sum)
	if t := sum.total.percent(); t < min {
		fmt.Fprintf(stdout, "FAIL: total coverage %.2f%% is below the minimum of %g%%\n", t, min)
		return 1
	}
	if min > 0 {
		fmt.Fprintf(stdout, "ok: total coverage %.1f%% meets the minimum of %g%%\n", sum.total.percent(), min)
	}
	return 0
}
