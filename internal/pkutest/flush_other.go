//go:build !linux

package pkutest

// FlushTLB is needed only in Linux POWER guests under QEMU (see flush_linux.go).
func FlushTLB(b []byte) {}

// EmulatedAMR is false off Linux (see flush_linux.go).
func EmulatedAMR() bool { return false }
