// Command benchreport runs pkeyarena's comparison benchmarks, writes their medians into the
// generated section of docs/benchmarks.md and draws SVG charts beside it. Every table and chart
// names the machine, the mode and the date. Run it from bench/:
//
//	go run ./cmd/benchreport            # -count 5; -quick for a smoke run
//
// It never runs under emulated PKU: timings there are meaningless, and it refuses.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pkeyarena/pkeyarena/pkru"
)

func main() {
	count := flag.Int("count", 5, "runs of each benchmark (medians are reported)")
	quick := flag.Bool("quick", false, "one short run of each, to check the report builds")
	docs := flag.String("docs", "../docs", "the docs folder to write into")
	flag.Parse()
	if os.Getenv("PKEYARENA_REQUIRE_PKU") == "1" {
		fmt.Fprintln(os.Stderr, "benchreport: refusing to run under the emulated-PKU runner: its timings are meaningless")
		os.Exit(2)
	}
	if err := run(*count, *quick, *docs); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

// result is the medians of one benchmark, per unit ("ns/op", "locked-B/secret", ...).
type result map[string]float64

func run(count int, quick bool, docs string) error {
	benchtime := "1s"
	if quick {
		count, benchtime = 1, "1x"
	}
	cnt := strconv.Itoa(count)
	runs := []struct {
		dir  string
		args []string
	}{
		{".", []string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count", cnt, "-benchtime", benchtime, "."}},
		{"..", []string{"test", "-tags", "pkeyarena_softreg", "-run", "^$", "-bench", "LockOSThread|EnterExitSoftware", "-count", cnt, "-benchtime", benchtime, "./domain/"}},
		{"..", []string{"test", "-tags", "pkeyarena_softreg", "-run", "^$", "-bench", "HeapMake32|AllocFree32$", "-benchmem", "-count", cnt, "-benchtime", benchtime, "./arena/"}},
	}
	results := map[string]result{}
	for _, r := range runs {
		cmd := exec.Command("go", r.args...)
		cmd.Dir = r.dir
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("go %s: %w\n%s", strings.Join(r.args, " "), err, out)
		}
		prefix := ""
		if strings.Contains(strings.Join(r.args, " "), "softreg") {
			prefix = "softreg/"
		}
		for name, res := range parse(out) {
			results[prefix+name] = res
		}
	}
	m := describe()
	if err := writeCharts(results, m, docs); err != nil {
		return err
	}
	return writeSection(filepath.Join(docs, "benchmarks.md"), section(results, m))
}

// parse reads go test -bench output and returns the median of every metric per benchmark (the
// -N GOMAXPROCS suffix dropped).
func parse(out []byte) map[string]result {
	samples := map[string]map[string][]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i]
		}
		if samples[name] == nil {
			samples[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				samples[name][f[i+1]] = append(samples[name][f[i+1]], v)
			}
		}
	}
	res := map[string]result{}
	for name, units := range samples {
		res[name] = result{}
		for unit, vs := range units {
			sort.Float64s(vs)
			res[name][unit] = vs[len(vs)/2]
		}
	}
	return res
}

// machine describes where and how the figures were taken.
type machine struct{ cpu, kernel, goVersion, mode, date string }

func describe() machine {
	m := machine{cpu: "unknown CPU", goVersion: runtime.Version(), date: time.Now().UTC().Format("2006-01-02")}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	m.cpu = fmt.Sprintf("%s, %d vCPU", m.cpu, runtime.NumCPU())
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	m.mode = "Mprotect (no protection keys)"
	if pkru.Supported() == nil {
		m.mode = "PKU hardware"
	}
	return m
}

func (m machine) String() string {
	return fmt.Sprintf("%s; %s; %s; %s; %s", m.cpu, m.kernel, m.goVersion, m.mode, m.date)
}

const (
	startMarker = "<!-- benchreport:start -->"
	endMarker   = "<!-- benchreport:end -->"
)

// writeSection replaces the text between the markers in path (appending them if absent).
func writeSection(path, text string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s := string(old)
	block := startMarker + "\n" + text + endMarker
	if i, j := strings.Index(s, startMarker), strings.Index(s, endMarker); i >= 0 && j > i {
		s = s[:i] + block + s[j+len(endMarker):]
	} else {
		s = strings.TrimRight(s, "\n") + "\n\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

func get(r map[string]result, name, unit string) string {
	v, ok := r[name][unit]
	if !ok {
		return "—"
	}
	return human(v, unit)
}

func human(v float64, unit string) string {
	if strings.HasSuffix(unit, "-B/secret") {
		return strconv.FormatFloat(v, 'f', 1, 64) + " B"
	}
	if unit != "ns/op" {
		return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
	}
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f µs", v/1e3)
	}
	return fmt.Sprintf("%.1f ns", v)
}

func section(r map[string]result, m machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Latest generated run\n\nWritten by `go run ./cmd/benchreport` (in `bench/`). Machine and mode: %s. Medians.\n\n", m)
	b.WriteString("![Alloc+Free](bench-allocfree.svg) ![Memory per secret](bench-memory.svg) ![Open+close a region](bench-enterexit.svg)\n\n")
	b.WriteString("| Alloc+Free | Go heap | pkeyarena | pkeyarena, softreg (PKU path, no register cost) | memguard |\n| --- | --- | --- | --- | --- |\n")
	for _, n := range []string{"32", "256", "4096"} {
		soft := "—"
		if n == "32" {
			soft = get(r, "softreg/AllocFree32", "ns/op")
		}
		fmt.Fprintf(&b, "| %s B | %s | %s | %s | %s |\n", n, get(r, "AllocFree/heap/"+n, "ns/op"), get(r, "AllocFree/pkeyarena/"+n, "ns/op"), soft, get(r, "AllocFree/memguard/"+n, "ns/op"))
	}
	b.WriteString("\n| 32-byte secrets | pkeyarena resident / locked per secret | memguard resident / locked per secret |\n| --- | --- | --- |\n")
	for _, n := range []string{"1000", "10000", "100000"} {
		mg := get(r, "MemoryPerSecret/memguard/"+n, "resident-B/secret") + " / " + get(r, "MemoryPerSecret/memguard/"+n, "locked-B/secret")
		if _, ok := r["MemoryPerSecret/memguard/"+n]; !ok {
			mg = "skipped (see the benchmark's skip reason: vm.max_map_count or RLIMIT_MEMLOCK)"
		}
		fmt.Fprintf(&b, "| %s | %s / %s | %s |\n", n, get(r, "MemoryPerSecret/pkeyarena/"+n, "resident-B/secret"), get(r, "MemoryPerSecret/pkeyarena/"+n, "locked-B/secret"), mg)
	}
	b.WriteString("\n| open+close a region | mprotect pair (locked, populated) | domain Enter+Exit |\n| --- | --- | --- |\n")
	for _, size := range regionSizes {
		for _, busy := range []string{"0", "1", "2"} {
			fmt.Fprintf(&b, "| %s, %s busy | %s | %s |\n", size, busy, get(r, "EnterExitVsMprotect/mprotect/"+size+"/busy="+busy, "ns/op"), get(r, "EnterExitVsMprotect/domain/"+size+"/busy="+busy, "ns/op"))
		}
	}
	fmt.Fprintf(&b, "\nEnter+Exit library overhead (softreg): %s, against a LockOSThread+UnlockOSThread pair of %s.\n",
		get(r, "softreg/EnterExitSoftware", "ns/op"), get(r, "softreg/LockOSThread", "ns/op"))
	return b.String()
}

var regionSizes = []string{"4KiB", "64KiB", "1MiB", "16MiB"}
