package guard_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"unsafe"

	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/unix"
)

var marker = []byte("harden-test-marker-0123456789")

func runChild(role string) {
	switch role {
	case "harden":
		os.Exit(childHarden())
	case "peek": // read the parent's memory through /proc/<ppid>/mem
		addr, _ := strconv.ParseUint(os.Getenv("PEEK_ADDR"), 10, 64)
		f, err := os.Open(fmt.Sprintf("/proc/%d/mem", os.Getppid()))
		if err != nil {
			fmt.Println("open:", err)
			os.Exit(1)
		}
		buf := make([]byte, len(marker))
		if _, err := f.ReadAt(buf, int64(addr)); err != nil {
			fmt.Println("read:", err)
			os.Exit(1)
		}
		if !bytes.Equal(buf, marker) {
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(2)
}

// childHarden runs unprivileged: before Harden its own child can read its memory through
// /proc/<pid>/mem; after Harden it cannot, and it is no longer dumpable.
func childHarden() int {
	secret := append([]byte(nil), marker...)
	peek := func() int {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		addr := uint64(uintptr(unsafe.Pointer(&secret[0])))
		cmd.Env = append(os.Environ(), childEnv+"=peek", "PEEK_ADDR="+strconv.FormatUint(addr, 10))
		out, err := cmd.CombinedOutput()
		if err == nil {
			return 0
		}
		fmt.Printf("peek: %v %s", err, out)
		return cmd.ProcessState.ExitCode()
	}
	if d, err := guard.Dumpable(); err != nil || !d {
		fmt.Println("dumpable before Harden:", d, err)
		return 3
	}
	if peek() != 0 {
		fmt.Println("control: a same-user child could not read our memory before Harden " +
			"(yama ptrace_scope?)")
		return 4
	}
	if err := guard.Harden(guard.NoCoreDumps()); err != nil {
		fmt.Println(err)
		return 5
	}
	if d, err := guard.Dumpable(); err != nil || d {
		fmt.Println("dumpable after Harden:", d, err)
		return 6
	}
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_CORE, &lim); lim.Cur != 0 {
		fmt.Println("RLIMIT_CORE after NoCoreDumps:", lim.Cur)
		return 7
	}
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/status", &st); err != nil || st.Uid != 0 {
		fmt.Println("/proc/self/status should belong to root once non-dumpable:", st.Uid, err)
		return 8
	}
	if peek() != 1 {
		fmt.Println("a same-user child still read our memory after Harden")
		return 9
	}
	fmt.Println("ok")
	return 0
}

func TestHarden(t *testing.T) {
	// Unprivileged: root could read /proc/<pid>/mem regardless.
	out, err := pkutest.UnprivilegedChild(t, childEnv+"=harden").CombinedOutput()
	if bytes.Contains(out, []byte("yama ptrace_scope")) {
		t.Skipf("the control failed, so the test would prove nothing: %s", out)
	}
	if err != nil || !bytes.Contains(out, []byte("ok")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
