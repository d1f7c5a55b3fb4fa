//go:build linux && (amd64 || arm64 || riscv64)

package unix

import linux "golang.org/x/sys/unix"

// MemfdSecret creates a file of memory removed from the kernel's direct map (memfd_secret(2)).
var MemfdSecret = linux.MemfdSecret
