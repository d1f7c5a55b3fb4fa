package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
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
	m := machine{cpu: cfg["cpu"], mode: mode, count: count, date: time.Now().UTC().Format("2006-01-02")}
	if m.cpu == "" {
		m.cpu = "unknown CPU"
	}
	m.cpu = fmt.Sprintf("%s, %d vCPU", m.cpu, runtime.NumCPU())
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
	return fmt.Sprintf("%s; %s; %s; %s; %s", m.cpu, m.kernel, m.goVersion, m.mode, m.date)
}
