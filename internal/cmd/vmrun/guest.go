//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	linux "golang.org/x/sys/unix"
)

// guest is /init inside the VM: it mounts the pseudo file systems, runs the test binary with the
// configured arguments and environment, sends the files it wrote for the host over the console,
// prints the exit marker and powers the machine off.
func guest() {
	status := guestRun()
	fmt.Printf("\n%s%d\n", exitMarker, status)
	linux.Sync()
	linux.Reboot(linux.LINUX_REBOOT_CMD_POWER_OFF)
	select {} // PID 1 must not exit: that is a kernel panic
}

func guestRun() int {
	mounts := []struct{ src, dir, fstype string }{
		{"devtmpfs", "/dev", "devtmpfs"}, // os/exec opens /dev/null
		{"proc", "/proc", "proc"},        // smaps, ProtectionKey:, /proc/self/task
		{"sysfs", "/sys", "sysfs"},
		// No tmpfs on /tmp: the initramfs root is already writable RAM, and a mount there would
		// hide the package folder when it lives under /tmp (go test of a temporary module).
	}
	for _, m := range mounts {
		if err := os.MkdirAll(m.dir, 0o755); err != nil {
			fmt.Fprintf(os.Stderr, "vmrun init: %v\n", err)
			return 125
		}
		if err := linux.Mount(m.src, m.dir, m.fstype, linux.MS_NOSUID, ""); err != nil {
			fmt.Fprintf(os.Stderr, "vmrun init: mount %s: %v\n", m.dir, err)
			return 125
		}
	}
	if err := loopbackUp(); err != nil { // tests may serve on 127.0.0.1
		fmt.Fprintf(os.Stderr, "vmrun init: loopback: %v\n", err)
		return 125
	}
	raw, err := os.ReadFile(configPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmrun init: %v\n", err)
		return 125
	}
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "vmrun init: %s: %v\n", configPath, err)
		return 125
	}
	cmd := exec.Command(cfg.Binary, cfg.Args...)
	cmd.Env = cfg.Env
	cmd.Dir = cfg.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	status := exitStatus(cmd.Run())
	if err := sendOutputs(os.Stdout, cfg.Outputs); err != nil {
		fmt.Fprintf(os.Stderr, "vmrun init: %v\n", err)
		if status == 0 {
			status = 125
		}
	}
	return status
}

// exitStatus turns the test binary's end into the status vmrun exits with on the host.
func exitStatus(err error) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			fmt.Fprintf(os.Stderr, "vmrun init: test binary killed by %v\n", ws.Signal())
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	default:
		fmt.Fprintf(os.Stderr, "vmrun init: %v\n", err)
		return 125
	}
}
