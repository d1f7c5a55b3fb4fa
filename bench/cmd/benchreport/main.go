// Command benchreport runs pkeyarena's comparison benchmarks, writes their medians and confidence
// intervals into the generated section of docs/benchmarks.md and draws SVG charts beside it. It
// reads go test's output with golang.org/x/perf/benchfmt and summarises it with benchmath, as
// benchstat does. Every table and chart names the machine (the CPU as go test reports it, the
// kernel, the Go version), the mode and the date. Run it from bench/:
//
//	go run ./cmd/benchreport            # -count 6; -quick for a smoke run
//	go run ./cmd/benchreport -from ../docs/bench-2026-12-02-pku-hardware  # re-summarise a run
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
	count := flag.Int("count", 6,
		"runs of each benchmark (6 is the fewest with a 95% interval of the median)")
	quick := flag.Bool("quick", false, "one short run of each, to check the report builds")
	docs := flag.String("docs", "../docs", "the docs folder to write into")
	raw := flag.String("raw", "",
		"the folder for each run's raw go test output (default: docs/bench-<date>-<mode>)")
	from := flag.String("from", "",
		"rebuild the report from the raw files of an earlier run in this folder, running nothing")
	flag.Parse()
	if os.Getenv("PKEYARENA_VM_GUEST") == "1" {
		fmt.Fprintln(os.Stderr, "benchreport: refusing to run inside the emulated-PKU guest: "+
			"its timings are meaningless")
		os.Exit(2)
	}
	if err := run(*count, *quick, *docs, *raw, *from); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

// benchRun is one go test -bench invocation: its name (of its raw output file), its folder,
// arguments and the prefix its benchmarks' names get in the report.
type benchRun struct {
	name, dir, prefix string
	args              []string
}

// The library's own benchmarks that benchreport runs beside the bench module's.
const (
	domainBenchmarks = "RegisterFloor|SwitchFloor|LockOSThread|EnterExit$|EnterExitDedicated$|" +
		"KeyMiss|PkeyMprotect|MprotectPairLocked"
	arenaBenchmarks    = "HeapMake32|LockFloor|AllocFree32$|AllocFree32Dedicated$"
	parallelBenchmarks = "EnterExitParallel|EnterExitDedicatedParallel|AllocFree32Parallel"
)

func benchRuns(count int, benchtime string) []benchRun {
	cnt := strconv.Itoa(count)
	// goTest is go test -bench pattern in the build benchreport was made with (softreg or not),
	// or always in the softreg build.
	goTest := func(softreg bool, pattern string, more ...string) []string {
		args := []string{"test", "-run", "^$", "-bench", pattern, "-benchmem", "-count", cnt,
			"-benchtime", benchtime}
		if softreg {
			args = append(args, "-tags", "pkeyarena_softreg")
		}
		return append(args, more...)
	}
	lib := func(pattern string, more ...string) []string {
		return goTest(softregBuild, pattern, more...)
	}
	soft := func(pattern string, more ...string) []string { return goTest(true, pattern, more...) }
	return []benchRun{
		{"compare", ".", "", lib(".", ".")},
		{"domain", "..", "lib/", lib(domainBenchmarks, "./domain/")},
		{"arena", "..", "lib/", lib(arenaBenchmarks, "./arena/")},
		{"cpu1", "..", "cpu1/", lib(parallelBenchmarks, "-cpu", "1", "./domain/", "./arena/")},
		{"cpu2", "..", "cpu2/", lib(parallelBenchmarks, "-cpu", "2", "./domain/", "./arena/")},
		{"softreg-domain", "..", "softreg/", soft("LockOSThread|EnterExitSoftware", "./domain/")},
		{"softreg-arena", "..", "softreg/", soft("HeapMake32|AllocFree32$", "./arena/")},
	}
}

func run(count int, quick bool, docs, raw, from string) error {
	var all runs
	var m machine
	var err error
	if from != "" {
		all, m, err = fromRaw(from)
	} else {
		all, m, err = measure(count, quick, docs, raw)
	}
	if err != nil {
		return err
	}
	if err := writeCharts(all, m, docs); err != nil {
		return err
	}
	return writeSection(filepath.Join(docs, "benchmarks.md"), section(all, m))
}

// measure runs every benchmark and keeps each run's output in raw (by default a folder of docs
// named for the date and mode), headed by the machine's description as benchfmt configuration
// lines, so that -from can rebuild the report from it.
func measure(count int, quick bool, docs, raw string) (runs, machine, error) {
	benchtime := "1s"
	if quick {
		count, benchtime = 1, "1x"
	}
	mode, err := probeMode()
	if err != nil {
		return runs{}, machine{}, fmt.Errorf("asking the library for the mode: %w", err)
	}
	m := describe(nil, mode, count)
	if raw == "" {
		raw = filepath.Join(docs, "bench-"+m.date+"-"+
			strings.ReplaceAll(strings.ToLower(mode), " ", "-"))
	}
	if err := os.MkdirAll(raw, 0o755); err != nil {
		return runs{}, machine{}, err
	}
	all := runs{results: map[string]result{}, config: map[string]string{}}
	for _, r := range benchRuns(count, benchtime) {
		cmd := exec.Command("go", r.args...)
		cmd.Dir = r.dir
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return runs{}, machine{}, fmt.Errorf("go %s: %w\n%s", strings.Join(r.args, " "), err, out)
		}
		out = append([]byte(m.header()), out...)
		if err := os.WriteFile(filepath.Join(raw, r.name+".txt"), out, 0o644); err != nil {
			return runs{}, machine{}, err
		}
		got, err := summarize(bytes.NewReader(out), "go "+strings.Join(r.args, " "), r.prefix)
		if err != nil {
			return runs{}, machine{}, err
		}
		if err := all.add(got); err != nil {
			return runs{}, machine{}, err
		}
	}
	return all, describe(all.config, mode, count), nil
}

// fromRaw summarises the raw files measure kept in dir, one per run, and the machine their
// header lines describe.
func fromRaw(dir string) (runs, machine, error) {
	all := runs{results: map[string]result{}, config: map[string]string{}}
	for _, r := range benchRuns(1, "1s") {
		path := filepath.Join(dir, r.name+".txt")
		f, err := os.Open(path)
		if err != nil {
			return runs{}, machine{}, err
		}
		got, err := summarize(f, path, r.prefix)
		f.Close()
		if err != nil {
			return runs{}, machine{}, err
		}
		if err := all.add(got); err != nil {
			return runs{}, machine{}, err
		}
	}
	m, err := machineFrom(all.config)
	return all, m, err
}
