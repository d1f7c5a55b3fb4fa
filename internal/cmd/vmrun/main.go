// Command vmrun runs one Go test binary inside a QEMU virtual machine whose emulated CPU has
// protection keys, so that pkeyarena's isolation tests run on machines without PKU. It is a
// `go test -exec` program:
//
//	CGO_ENABLED=0 go build -o bin/vmrun ./internal/cmd/vmrun
//	CGO_ENABLED=0 go test -exec "$PWD/bin/vmrun" ./pkru/
//
// (`make test-vm PKGS=... TESTFLAGS=...` does both.) For each binary it writes an initramfs that
// holds the binary, the shared libraries it needs (for -race), the package's testdata folder, a
// configuration file with the arguments and environment, and vmrun itself as /init. It then boots
// `qemu-system-x86_64 -accel tcg -cpu max` with a stock Debian kernel, streams the guest's output,
// and exits with the test binary's exit status.
//
// Arguments and the environment travel inside the initramfs, never on the kernel command line
// (which splits on spaces). The guest gets PKEYARENA_REQUIRE_PKU=1 and PKEYARENA_VM_GUEST=1, the
// PKEYARENA_*, GO* runtime variables of the host (GOCOVERDIR included), and those named in
// VMRUN_ENV (comma-separated).
//
// What the test binary writes for the host comes back to the host paths its flags name, so
// `go test -exec vmrun -coverprofile=c.out -cpuprofile=cpu.out` works as it does without vmrun:
// -test.coverprofile, -test.cpuprofile, -test.memprofile, -test.blockprofile,
// -test.mutexprofile and -test.trace (relative paths under -test.outputdir where testing puts
// them there), and every file in the -test.gocoverdir and GOCOVERDIR folders and in
// -test.artifacts' folder. The coverage folders' contents, with the meta-data files that
// go test -coverpkg lists in them, are packed into the initramfs too. The guest sends the files
// over the console before its exit status, gzipped, in base64 and checksummed; a file damaged on
// the way, or one that no flag named, fails the run.
//
// Environment of the host side:
//
//	PKEYARENA_VM_KERNEL  the kernel image (default: the newest under $PKEYARENA_CACHE/kernel-amd64/boot,
//	                     which scripts/vm-deps.sh fills)
//	VMRUN_QEMU           the QEMU binary (default qemu-system-x86_64)
//	VMRUN_CPU            the -cpu model (default max; max,-pku makes PKU tests fail, as they must)
//	VMRUN_MEM            guest memory in MiB (default 2048)
//	VMRUN_FILES          extra host files or folders to pack at the same path (comma-separated)
//	VMRUN_ENV            extra variable names to pass to the guest (comma-separated)
//	VMRUN_TIMEOUT        the whole VM's time limit (default: -test.timeout + 2m, else 12m)
//	VMRUN_KERNEL_LOG=1   show the guest kernel's messages (by default only when the run fails)
//
// Timings measured inside the VM are meaningless: QEMU emulates the CPU in software (WRPKRU
// alone costs microseconds there).
package main

import (
	"os"
)

func main() {
	if os.Getpid() == 1 {
		guest() // never returns: powers the VM off
	}
	os.Exit(host(os.Args[1:]))
}
