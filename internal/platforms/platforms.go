// Package platforms is pkeyarena's support matrix: what the library gives on each GOOS/GOARCH
// and how that was established. pkru.ThisPlatform reports the running build's row, and
// docs/platforms.md holds the table that Markdown renders; the package's tests fail when the
// file is out of date, and go generate rewrites it.
package platforms

//go:generate go run ../cmd/platforms -doc ../../docs/platforms.md

import (
	"errors"
	"fmt"
	"strings"
)

// Platform is one row of the matrix. pkru.Platform has the same fields, so that pkru can hand
// out a copy of a row without exporting the table.
type Platform struct {
	GOOS, GOARCH string
	PerThread    bool   // per-thread isolation with protection keys (given CPU and kernel support)
	ReadOnly     bool   // read-only grants
	Keys         string // keys a process can use for arenas
	Fallback     string // what runs when keys are missing
	Tested       string // hardware, emulated or compile-only, and where
}

const (
	processWide = "mprotect, process-wide"
	viaMemcall  = "mprotect via memcall, process-wide"
	compileOnly = "compile-only (cross-compiled and vetted in CI)"
)

var table = [...]Platform{
	{
		GOOS: "linux", GOARCH: "amd64", PerThread: true, ReadOnly: true,
		Keys:     "up to 15 (PKU)",
		Fallback: processWide,
		Tested: "PKU hardware (Intel Xeon and AMD EPYC Zen 3 guests, Linux 6.18, 2026-12-02: " +
			"every suite, both modes, -race); emulated PKU in CI (QEMU TCG -cpu max, Debian 6.1 " +
			"kernel); fallback on the CI host",
	},
	{
		GOOS: "linux", GOARCH: "arm64", PerThread: false, ReadOnly: true,
		Keys:     "none yet (POE, 8 keys, Linux ≥ 6.12: future work)",
		Fallback: processWide,
		Tested:   compileOnly,
	},
	{
		GOOS: "linux", GOARCH: "ppc64le", PerThread: true, ReadOnly: true,
		Keys: "up to 28 (AMR, 32 keys, the kernel reserves 0-3; hash MMU only: boot with " +
			"disable_radix)",
		Fallback: processWide,
		Tested: "emulated in CI (QEMU 7.2 powernv9 -cpu power9, Debian 6.1 kernel, " +
			"disable_radix): pkru, domain, arena and guard suites, with a test-only TLB flush " +
			"for QEMU's AMR defects; no POWER hardware run yet",
	},
	{
		GOOS: "darwin", GOARCH: "amd64", PerThread: false, ReadOnly: true,
		Keys: "none", Fallback: viaMemcall, Tested: compileOnly,
	},
	{
		GOOS: "windows", GOARCH: "amd64", PerThread: false, ReadOnly: true,
		Keys: "none", Fallback: "VirtualProtect via memcall, process-wide", Tested: compileOnly,
	},
	{
		GOOS: "freebsd", GOARCH: "amd64", PerThread: false, ReadOnly: true,
		Keys: "none", Fallback: viaMemcall, Tested: compileOnly,
	},
	{
		GOOS: "aix", GOARCH: "ppc64", PerThread: true, ReadOnly: true,
		Keys: "up to 31 user keys (ukey_enable tells; POWER6 and later, 64-bit kernel, " +
			"AIXTHREAD_SCOPE=S)",
		Fallback: viaMemcall,
		Tested:   compileOnly + "; never run: no AIX machine here",
	},
}

// Lookup returns the row of goos/goarch, or, for a platform the matrix does not list, one that
// claims only the fallback.
func Lookup(goos, goarch string) Platform {
	for _, p := range table {
		if p.GOOS == goos && p.GOARCH == goarch {
			return p
		}
	}
	return Platform{
		GOOS: goos, GOARCH: goarch, PerThread: false, ReadOnly: true, Keys: "none",
		Fallback: processWide + " (if the build compiles)", Tested: "untested",
	}
}

// Markdown renders the matrix as the table of docs/platforms.md.
func Markdown() string {
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	var b strings.Builder
	b.WriteString("| platform | per-thread isolation | read-only grants | keys | without keys " +
		"| tested how |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, p := range table {
		fmt.Fprintf(&b, "| %s/%s | %s | %s | %s | %s | %s |\n", p.GOOS, p.GOARCH,
			yes(p.PerThread), yes(p.ReadOnly), p.Keys, p.Fallback, p.Tested)
	}
	return b.String()
}

// The markers around the generated table in docs/platforms.md.
const (
	Start = "<!-- platforms:start -->"
	End   = "<!-- platforms:end -->"
)

// ErrNoMarkers is returned by Splice for a document without Start followed by End.
var ErrNoMarkers = errors.New("no " + Start + " ... " + End + " markers")

// Splice returns doc with what lies between the markers replaced by the table Markdown renders.
// Text outside the markers is kept as it is.
func Splice(doc string) (string, error) {
	i := strings.Index(doc, Start)
	j := strings.Index(doc, End)
	if i < 0 || j < i {
		return "", ErrNoMarkers
	}
	return doc[:i] + Start + "\n" + Markdown() + doc[j:], nil
}
