package guard_test

import (
	"errors"
	"fmt"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/guard"
)

var exampleSink byte

// A read of arena memory outside any domain faults; Catch turns the fault into an error that
// names the arena, so a service can log it and go on.
func ExampleCatch() {
	keys, err := arena.NewArena(arena.Name("session-keys"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer keys.Close()
	secret, _ := keys.Alloc(32)

	err = guard.Catch(func() { exampleSink = secret[0] }) // no domain grants keys here
	var v *guard.Violation
	if errors.As(err, &v) {
		fmt.Println(errors.Is(err, guard.ErrViolation), v.Arena, v.Where)
	}
	// Output: true session-keys data
}

// Harden at the start of main, before any secret exists: no core dumps, no ptrace or
// /proc/<pid>/mem reads by other processes of the same user.
func ExampleHarden() {
	if err := guard.Harden(guard.NoCoreDumps()); err != nil {
		fmt.Println("not hardened:", err) // e.g. on systems without prctl
	}
	dumpable, _ := guard.Dumpable()
	fmt.Println("dumpable:", dumpable)
}

// Dumpable lets a health check confirm that Harden ran.
func ExampleDumpable() {
	if dumpable, err := guard.Dumpable(); err == nil && dumpable {
		fmt.Println("warning: this process can be dumped and traced; call guard.Harden early")
	}
}

// Audit at start-up (or in CI against the built binary with AuditFile): any instruction outside
// pkru that can write the protection-key register undermines every domain.
func ExampleAudit() {
	report, err := guard.Audit()
	if err != nil {
		fmt.Println("audit:", err)
		return
	}
	for _, f := range report.Unexpected() {
		fmt.Println("unexpected:", f) // the file, instruction, address and function
	}
	fmt.Printf("%d bytes of code in %d files scanned\n", report.Scanned, len(report.Files))
}

func ExampleAuditFile() {
	report, err := guard.AuditFile("/usr/local/bin/my-service")
	if err != nil {
		fmt.Println("audit:", err)
		return
	}
	if n := len(report.Unexpected()); n > 0 {
		fmt.Println(n, "instructions outside pkru can switch protection keys off")
	}
}

// A service hardens itself and audits its binary at start-up, then runs the code that may
// touch arena memory by mistake under Catch, so that a stray read becomes a logged error.
func Example() {
	if err := guard.Harden(guard.NoCoreDumps()); err != nil {
		fmt.Println("not hardened:", err)
	}
	if report, err := guard.Audit(); err == nil && len(report.Unexpected()) > 0 {
		fmt.Println("code outside pkru can switch protection keys off:", report.Unexpected())
	}
	handle := func() { /* parse a request; a bug here may read a secret */ }
	var v *guard.Violation
	if err := guard.Catch(handle); errors.As(err, &v) {
		fmt.Printf("request handler read arena %q (%v, %v)\n", v.Arena, v.Where, v.Op)
	}
}

// NoCoreDumps adds RLIMIT_CORE 0 to what Harden does.
func ExampleNoCoreDumps() {
	if err := guard.Harden(guard.NoCoreDumps()); err != nil {
		fmt.Println("not hardened:", err)
	}
}

// A Violation names the arena and the part of its region that was hit; Region bounds the data
// pages, and an address outside them lies on a guard page (Where says which).
func ExampleViolation() {
	buf, err := arena.NewArena(arena.Name("buf"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer buf.Close()
	b, _ := buf.Alloc(16)
	err = guard.Catch(func() { exampleSink = b[0] })
	var v *guard.Violation
	if errors.As(err, &v) {
		fmt.Println(v.Where, v.Addr >= v.Region.DataStart() && v.Addr < v.Region.DataEnd())
	}
	// Output: data true
}
