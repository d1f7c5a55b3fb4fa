package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func host(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: vmrun TEST-BINARY [FLAGS...]  "+
			"(a go test -exec program; see go doc ./internal/cmd/vmrun)")
		return 2
	}
	code, err := run(args[0], args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmrun: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// guestBinDir is where the test binary is placed inside the guest.
const guestBinDir = "/vmrun-bin"

func run(binary string, args []string, stdout, stderr io.Writer) (int, error) {
	m, err := machineFor(binary)
	if err != nil {
		return 1, err
	}
	kernel, err := findKernel(m)
	if err != nil {
		return 1, err
	}
	qemu := envOr("VMRUN_QEMU", m.qemu)
	if _, err := exec.LookPath(qemu); err != nil {
		return 1, fmt.Errorf("%s not found (%w): install it with scripts/vm-deps.sh, "+
			"or run make test-vm, which does", qemu, err)
	}
	self, err := os.Executable()
	if err != nil {
		return 1, err
	}
	init, err := guestInit(m, self)
	if err != nil {
		return 1, err
	}
	if interp, _ := interpreter(init); interp != "" {
		return 1, fmt.Errorf("%s is dynamically linked (%s) and cannot be the guest's /init: "+
			"build it with CGO_ENABLED=0", init, interp)
	}

	dir, err := os.MkdirTemp("", "vmrun-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	wd, err := os.Getwd()
	if err != nil {
		return 1, err
	}
	tio := testFiles(args, wd, os.Getenv("GOCOVERDIR"))
	initrd := filepath.Join(dir, "initrd.cpio")
	if err := writeInitramfs(initrd, init, binary, args, m.env, tio); err != nil {
		return 1, fmt.Errorf("building the initramfs: %w", err)
	}

	mem := envOr("VMRUN_MEM", "2048")
	qargs := append(slices.Clone(m.args), "-m", mem,
		"-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", kernel, "-initrd", initrd,
		"-append", m.append,
	)
	timeout := vmTimeout(args)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, qargs...)
	cmd.Stdin = nil
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 1, err
	}
	if err := cmd.Start(); err != nil {
		return 1, fmt.Errorf("starting %s: %w", qemu, err)
	}
	// Once the guest reported, it only has to power off; a machine that hangs there (QEMU's
	// PowerNV with two CPUs waits for a core that never wakes) is stopped after a grace period.
	var stopped atomic.Bool
	reported := func() {
		time.AfterFunc(15*time.Second, func() {
			stopped.Store(true)
			cmd.Process.Kill()
		})
	}
	rcv := &receiver{want: tio.out}
	status, kernelLog, scanErr := relay(out, stdout, os.Getenv("VMRUN_KERNEL_LOG") == "1",
		reported, rcv)
	waitErr := cmd.Wait()
	transferErr := rcv.done()
	if stopped.Load() && status >= 0 {
		waitErr = nil
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprint(stderr, kernelLog)
		return 1, fmt.Errorf("the VM ran past its %v limit and was stopped "+
			"(VMRUN_TIMEOUT or -test.timeout raise it)", timeout)
	case status < 0:
		fmt.Fprint(stderr, kernelLog)
		return 1, fmt.Errorf("the guest stopped without reporting the test's exit status "+
			"(kernel panic, out of memory, or /init crashed; qemu: %v, output: %v); "+
			"kernel messages above", waitErr, scanErr)
	case waitErr != nil:
		return 1, fmt.Errorf("qemu: %w", waitErr)
	case transferErr != nil:
		return max(status, 1), fmt.Errorf("files the test binary wrote for the host: %w", transferErr)
	}
	return status, nil
}

// kernelLine matches a kernel message on the console ("[    1.234567] ...").
var kernelLine = regexp.MustCompile(`^\[\s*\d+\.\d+\] `)

// relay copies the guest's console to w, line by line, dropping the carriage returns the serial
// line adds and the kernel's own messages (returned separately unless showKernel), hands the
// lines that carry output files to rcv, and returns the exit status the guest reported, or -1 if
// it reported none.
func relay(
	r io.Reader, w io.Writer, showKernel bool, reported func(), rcv *receiver,
) (status int, kernelLog string, err error) {
	status = -1
	var klog strings.Builder
	pendingBlank := false // the guest prints a newline before the marker; hold blank lines back
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, rerr := br.ReadString('\n')
		if line != "" {
			text := strings.TrimRight(line, "\r\n")
			switch {
			case strings.HasPrefix(text, exitMarker):
				if n, err := strconv.Atoi(strings.TrimPrefix(text, exitMarker)); err == nil {
					status = n
					if reported != nil {
						reported()
					}
				}
				pendingBlank = false
			case rcv != nil && rcv.line(text):
				pendingBlank = false
			case kernelLine.MatchString(text) && !showKernel:
				klog.WriteString(text + "\n")
			case text == "" && strings.HasSuffix(line, "\n"):
				if pendingBlank {
					io.WriteString(w, "\n")
				}
				pendingBlank = true
			default:
				if pendingBlank {
					io.WriteString(w, "\n")
					pendingBlank = false
				}
				io.WriteString(w, strings.ReplaceAll(line, "\r\n", "\n"))
			}
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				rerr = nil
			}
			return status, klog.String(), rerr
		}
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// findKernel returns PKEYARENA_VM_KERNEL or the newest kernel for m that scripts/vm-deps.sh
// unpacked.
func findKernel(m machine) (string, error) {
	if k := os.Getenv("PKEYARENA_VM_KERNEL"); k != "" {
		if _, err := os.Stat(k); err != nil {
			return "", fmt.Errorf("PKEYARENA_VM_KERNEL: %w", err)
		}
		return k, nil
	}
	cache := os.Getenv("PKEYARENA_CACHE")
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		cache = filepath.Join(base, "pkeyarena")
	}
	found, _ := filepath.Glob(filepath.Join(cache, m.kernelDir, "boot", m.kernelPat))
	if len(found) == 0 {
		return "", fmt.Errorf("no kernel in %s: run scripts/vm-deps.sh (make test-vm does), "+
			"or set PKEYARENA_VM_KERNEL", filepath.Join(cache, m.kernelDir))
	}
	return found[len(found)-1], nil
}

// vmTimeout is VMRUN_TIMEOUT, or the test binary's -test.timeout plus two minutes for booting.
func vmTimeout(args []string) time.Duration {
	if d, err := time.ParseDuration(os.Getenv("VMRUN_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	for i, a := range args {
		v, ok := strings.CutPrefix(a, "-test.timeout=")
		if !ok && a == "-test.timeout" && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if d, err := time.ParseDuration(v); ok && err == nil && d > 0 {
			return d + 2*time.Minute
		}
	}
	return 12 * time.Minute
}

// passEnv selects the host variables the guest gets, and adds the machine's own.
func passEnv(machineEnv []string) []string {
	extra := map[string]bool{}
	for _, n := range strings.Split(os.Getenv("VMRUN_ENV"), ",") {
		extra[strings.TrimSpace(n)] = true
	}
	runtimeVars := map[string]bool{"GOTRACEBACK": true, "GODEBUG": true, "GOMAXPROCS": true,
		"GOGC": true, "GOMEMLIMIT": true, "GOCOVERDIR": true}
	env := []string{"PATH=" + guestBinDir + ":/bin", "HOME=/tmp", "TMPDIR=/tmp"}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "PKEYARENA_") || runtimeVars[name] || extra[name] {
			env = append(env, kv)
		}
	}
	env = append(env, machineEnv...)
	return append(env, "PKEYARENA_REQUIRE_PKU=1", "PKEYARENA_VM_GUEST=1")
}

// writeInitramfs packs /init (self), the test binary, its shared libraries, the working
// folder's testdata, VMRUN_FILES, the folders the test reads its coverage set-up from, the
// folders it writes into, and the configuration.
func writeInitramfs(path, self, binary string, args, machineEnv []string, tio testIO) error {
	files := map[string]string{"/init": self} // guest path -> host path
	guestBin := guestBinDir + "/" + filepath.Base(binary)
	files[guestBin] = binary
	libs, err := sharedLibs(binary)
	if err != nil {
		return err
	}
	for _, l := range libs {
		files[l] = l
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	extra := append([]string{filepath.Join(wd, "testdata")}, tio.in...)
	for _, f := range strings.Split(os.Getenv("VMRUN_FILES"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			abs, err := filepath.Abs(f)
			if err != nil {
				return err
			}
			if _, err := os.Stat(abs); err != nil {
				return fmt.Errorf("VMRUN_FILES: %w", err)
			}
			extra = append(extra, abs)
		}
	}
	for _, root := range extra {
		found, err := regularFiles(root)
		if err != nil {
			return err
		}
		for _, p := range found {
			files[p] = p
		}
	}
	for _, d := range tio.in {
		meta, err := coverMetaFiles(d)
		if err != nil {
			return err
		}
		for _, p := range meta {
			files[p] = p
		}
	}

	cfg, err := json.Marshal(config{
		Binary:  guestBin,
		Args:    args,
		Env:     passEnv(machineEnv),
		Dir:     wd,
		Outputs: tio.out,
	})
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := newCPIOWriter(f)
	w.mkdirAll(wd) // go test runs the binary in the package folder
	w.mkdirAll("/tmp")
	// The coverage folders are world-writable: the tests' unprivileged children (pkutest's, as
	// nobody) write their counters there too, and the test binary counts them in its profile.
	for _, d := range tio.in {
		w.mkdirAllPerm(d, 0o777)
	}
	for _, d := range tio.mkdirs {
		w.mkdirAll(d)
	}
	if err := w.addFile(configPath, 0o644, cfg); err != nil {
		return err
	}
	const maxBytes = 512 << 20
	total := 0
	for _, guestPath := range sortedKeys(files) {
		data, err := os.ReadFile(files[guestPath])
		if err != nil {
			return err
		}
		if total += len(data); total > maxBytes {
			return fmt.Errorf("more than %d MiB to pack (at %s)", maxBytes>>20, guestPath)
		}
		perm := uint32(0o644)
		if st, err := os.Stat(files[guestPath]); err == nil && st.Mode()&0o111 != 0 {
			perm = 0o755
		}
		if err := w.addFile(guestPath, perm, data); err != nil {
			return err
		}
	}
	if err := w.close(); err != nil {
		return err
	}
	return f.Close()
}

// interpreter returns the ELF interpreter of a dynamically linked binary, or "" for a static one.
func interpreter(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			return string(bytes.TrimRight(b, "\x00")), err
		}
	}
	return "", nil
}

// sharedLibs lists the interpreter and shared libraries a dynamic binary (a -race build) needs,
// as ldd resolves them; nil for a static binary.
func sharedLibs(binary string) ([]string, error) {
	interp, err := interpreter(binary)
	if err != nil || interp == "" {
		return nil, err
	}
	out, err := exec.Command("ldd", binary).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s (needed to pack the shared libraries of a dynamic binary): %w",
			binary, err)
	}
	libs := []string{interp}
	for _, line := range strings.Split(string(out), "\n") {
		for _, field := range strings.Fields(line) {
			if strings.HasPrefix(field, "/") && field != interp {
				libs = append(libs, field)
			}
		}
	}
	return libs, nil
}
