package pkru

import (
	"fmt"
	"runtime"
	"strings"
)

// Platform is what pkeyarena gives on one GOOS/GOARCH, and how that was established.
type Platform struct {
	GOOS, GOARCH string
	PerThread    bool   // per-thread isolation with protection keys (given CPU and kernel support)
	ReadOnly     bool   // read-only grants
	Keys         string // keys a process can use for arenas
	Fallback     string // what runs when keys are missing
	Tested       string // hardware, emulated or compile-only, and where
}

// Platforms is the support matrix. docs/platforms.md is generated from it (and checked against
// it by TestPlatformsDoc), and TestThisPlatform checks the running build's row against the code.
var Platforms = []Platform{
	{"linux", "amd64", true, true, "up to 15 (PKU)", "mprotect, process-wide", "emulated PKU in CI (QEMU TCG -cpu max, Debian 6.1 kernel); fallback on the CI host; no PKU hardware run yet"},
	{"linux", "arm64", false, true, "none yet (POE, 8 keys, Linux ≥ 6.12: future work)", "mprotect, process-wide", "compile-only (cross-compiled and vetted in CI)"},
	{"linux", "ppc64le", true, true, "up to 28 (AMR, 32 keys, the kernel reserves 0-3; hash MMU only: boot with disable_radix)", "mprotect, process-wide", "emulated in CI (QEMU 7.2 powernv9 -cpu power9, Debian 6.1 kernel, disable_radix): pkru and domain suites, with a test-only TLB flush for QEMU's AMR defects; no POWER hardware run yet"},
	{"darwin", "amd64", false, true, "none", "mprotect via memcall, process-wide", "compile-only (cross-compiled and vetted in CI)"},
	{"windows", "amd64", false, true, "none", "VirtualProtect via memcall, process-wide", "compile-only (cross-compiled and vetted in CI)"},
	{"freebsd", "amd64", false, true, "none", "mprotect via memcall, process-wide", "compile-only (cross-compiled and vetted in CI)"},
	{"aix", "ppc64", true, true, "up to 31 user keys (ukey_enable tells; POWER6 and later, 64-bit kernel, AIXTHREAD_SCOPE=S)", "mprotect via memcall, process-wide", "compile-only (cross-compiled and vetted in CI); never run: no AIX machine here"},
}

// ThisPlatform returns the row of the running build, or one that says only the fallback is known.
func ThisPlatform() Platform {
	for _, p := range Platforms {
		if p.GOOS == runtime.GOOS && p.GOARCH == runtime.GOARCH {
			return p
		}
	}
	return Platform{runtime.GOOS, runtime.GOARCH, false, true, "none", "mprotect, process-wide (if the build compiles)", "untested"}
}

// PlatformsMarkdown renders Platforms as the table of docs/platforms.md.
func PlatformsMarkdown() string {
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	var b strings.Builder
	b.WriteString("| platform | per-thread isolation | read-only grants | keys | without keys | tested how |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, p := range Platforms {
		fmt.Fprintf(&b, "| %s/%s | %s | %s | %s | %s | %s |\n", p.GOOS, p.GOARCH, yes(p.PerThread), yes(p.ReadOnly), p.Keys, p.Fallback, p.Tested)
	}
	return b.String()
}
