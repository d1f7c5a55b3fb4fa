// Command benchreport runs pkeyarena's comparison benchmarks, writes their medians and confidence
// intervals into the generated section of docs/benchmarks.md and draws SVG charts beside it. It
// reads go test's output with golang.org/x/perf/benchfmt and summarises it with benchmath, as
// benchstat does. Every table and chart names the machine (the CPU as go test reports it, the
// kernel, the Go version), the mode and the date. Run it from bench/:
//
//	go run ./cmd/benchreport            # -count 6; -quick for a smoke run
//
// The mode is what the library chooses on this machine (arena.Mode): "PKU hardware" on a CPU and
// kernel with protection keys, "Mprotect" without them or with PKEYARENA_FORCE_FALLBACK=1, and
// "softreg" when benchreport itself is built with -tags pkeyarena_softreg, which it then passes
// on to the benchmarks it runs. It refuses to run inside the emulated-PKU guest
// (PKEYARENA_VM_GUEST=1): timings there are meaningless.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	count := flag.Int("count", 6, "runs of each benchmark (6 is the fewest with a 95% interval of the median)")
	quick := flag.Bool("quick", false, "one short run of each, to check the report builds")
	docs := flag.String("docs", "../docs", "the docs folder to write into")
	flag.Parse()
	if os.Getenv("PKEYARENA_VM_GUEST") == "1" {
		fmt.Fprintln(os.Stderr, "benchreport: refusing to run inside the emulated-PKU guest: its timings are meaningless")
		os.Exit(2)
	}
	if err := run(*count, *quick, *docs); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

// benchRun is one go test -bench invocation: its folder, arguments and the prefix its
// benchmarks' names get in the report.
type benchRun struct {
	dir, prefix string
	args        []string
}

func benchRuns(count int, benchtime string) []benchRun {
	cnt := strconv.Itoa(count)
	bench := []string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count", cnt, "-benchtime", benchtime}
	if softregBuild {
		bench = append(bench, "-tags", "pkeyarena_softreg")
	}
	return []benchRun{
		{".", "", append(bench, ".")},
		{"..", "softreg/", []string{"test", "-tags", "pkeyarena_softreg", "-run", "^$", "-bench", "LockOSThread|EnterExitSoftware", "-count", cnt, "-benchtime", benchtime, "./domain/"}},
		{"..", "softreg/", []string{"test", "-tags", "pkeyarena_softreg", "-run", "^$", "-bench", "HeapMake32|AllocFree32$", "-benchmem", "-count", cnt, "-benchtime", benchtime, "./arena/"}},
	}
}

func run(count int, quick bool, docs string) error {
	benchtime := "1s"
	if quick {
		count, benchtime = 1, "1x"
	}
	mode, err := probeMode()
	if err != nil {
		return fmt.Errorf("asking the library for the mode: %w", err)
	}
	all := runs{results: map[string]result{}, config: map[string]string{}}
	for _, r := range benchRuns(count, benchtime) {
		cmd := exec.Command("go", r.args...)
		cmd.Dir = r.dir
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("go %s: %w\n%s", strings.Join(r.args, " "), err, out)
		}
		got, err := summarize(bytes.NewReader(out), "go "+strings.Join(r.args, " "), r.prefix)
		if err != nil {
			return err
		}
		if err := all.add(got); err != nil {
			return err
		}
	}
	m := describe(all.config, mode, count)
	if err := writeCharts(all, m, docs); err != nil {
		return err
	}
	return writeSection(filepath.Join(docs, "benchmarks.md"), section(all, m))
}
