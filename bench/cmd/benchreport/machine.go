package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/pkeyarena/pkeyarena/arena"
)

// machine describes where and how the figures were taken.
type machine struct {
	cpu       string // go test's own "cpu:" line, with the number of CPUs
	kernel    string
	goVersion string // of the go command that built the benchmarks
	mode      string // modeLabel of the arenas measured
	date      string
	count     int // runs of each benchmark
	vcpus     int
}

// Mode labels: what protected the measured arenas.
const (
	labelPKU      = "PKU hardware"
	labelMprotect = "Mprotect"
	labelSoftreg  = "softreg"
)

// modeLabel names a mode as the report shows it. A build with the pkeyarena_softreg tag (soft)
// takes the PKU-mode paths over a memory word: softreg, never "PKU hardware".
func modeLabel(m arena.Mode, soft bool) (string, error) {
	switch {
	case m == arena.PKU && soft:
		return labelSoftreg, nil
	case m == arena.PKU:
		return labelPKU, nil
	case m == arena.Mprotect:
		return labelMprotect, nil
	}
	return "", fmt.Errorf("arena mode %v has no label", m)
}

// probeMode asks the library which mode arenas get here, as the benchmarks will (they inherit
// this process's environment, PKEYARENA_FORCE_FALLBACK included, and its build tags).
func probeMode() (string, error) {
	a, err := arena.NewArena(arena.Name("benchreport-probe"), arena.Lock(false))
	if err != nil {
		return "", err
	}
	defer a.Close()
	return modeLabel(a.Mode(), softregBuild)
}

// describe records the machine: the CPU as go test named it in its output (cfg), the kernel,
// the go command's version, the mode and today's date.
func describe(cfg map[string]string, mode string, count int) machine {
	m := machine{
		cpu:   cfg["cpu"],
		mode:  mode,
		count: count,
		date:  time.Now().UTC().Format("2006-01-02"),
	}
	if m.cpu == "" {
		m.cpu = "unknown CPU"
	}
	m.vcpus = runtime.NumCPU()
	m.kernel = runtime.GOOS
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	m.goVersion = runtime.Version()
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		m.goVersion = strings.TrimSpace(string(out))
	}
	return m
}

func (m machine) String() string {
	return fmt.Sprintf("%s, %d vCPU; %s; %s; %s; %s", m.cpu, m.vcpus, m.kernel, m.goVersion,
		m.mode, m.date)
}

// header describes m as benchfmt configuration lines, for the head of a raw output file (the
// CPU is in go test's own "cpu:" line).
func (m machine) header() string {
	return fmt.Sprintf("pkeyarena-mode: %s\npkeyarena-kernel: %s\npkeyarena-go: %s\n"+
		"pkeyarena-date: %s\npkeyarena-runs: %d\npkeyarena-vcpus: %d\n",
		m.mode, m.kernel, m.goVersion, m.date, m.count, m.vcpus)
}

// machineFrom is the machine that header lines, and go test's cpu line, describe.
func machineFrom(cfg map[string]string) (machine, error) {
	m := machine{cpu: cfg["cpu"], mode: cfg["pkeyarena-mode"], kernel: cfg["pkeyarena-kernel"],
		goVersion: cfg["pkeyarena-go"], date: cfg["pkeyarena-date"]}
	var err1, err2 error
	m.count, err1 = strconv.Atoi(cfg["pkeyarena-runs"])
	m.vcpus, err2 = strconv.Atoi(cfg["pkeyarena-vcpus"])
	if m.mode == "" || m.date == "" || err1 != nil || err2 != nil {
		return machine{}, fmt.Errorf("raw files without the machine's header lines (mode %q, "+
			"date %q, runs %q, vcpus %q)", m.mode, m.date, cfg["pkeyarena-runs"],
			cfg["pkeyarena-vcpus"])
	}
	return m, nil
}
