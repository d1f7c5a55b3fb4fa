package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/awnumar/memguard"
	"golang.org/x/sys/unix"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
)

var sizes = []int{32, 256, 4096}

var heapSink []byte

// Alloc+Free of one secret: Go heap (no protection), pkeyarena, memguard.
func BenchmarkAllocFree(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("heap/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				heapSink = make([]byte, n)
			}
		})
		b.Run(fmt.Sprintf("pkeyarena/%d", n), func(b *testing.B) {
			a, err := arena.NewArena()
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			b.ReportAllocs()
			for b.Loop() {
				s, err := a.Alloc(n)
				if err != nil {
					b.Fatal(err)
				}
				a.Free(s)
			}
		})
		b.Run(fmt.Sprintf("memguard/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				memguard.NewBuffer(n).Destroy()
			}
		})
	}
}

// Memory held per 32-byte secret, from /proc/self/smaps deltas: resident and locked bytes,
// and mappings (VMAs).
func BenchmarkMemoryPerSecret(b *testing.B) {
	for _, count := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("pkeyarena/%d", count), func(b *testing.B) {
			for b.Loop() {
				before := snapshot(b)
				a, err := arena.NewArena()
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < count; i++ {
					if _, err := a.Alloc(32); err != nil {
						b.Fatal(err)
					}
				}
				report(b, before, snapshot(b), count)
				a.Close()
			}
		})
		b.Run(fmt.Sprintf("memguard/%d", count), func(b *testing.B) {
			if !lockLimitAllows(count * 4096) {
				b.Skipf("memguard locks a page per secret: %d secrets pass RLIMIT_MEMLOCK", count)
			}
			if count*4 > mapsLeft() {
				b.Skipf("memguard maps every secret separately (1 mmap + 2 guard pages): %d secrets would pass vm.max_map_count, and memguard panics when mmap fails", count)
			}
			for b.Loop() {
				before := snapshot(b)
				bufs := make([]*memguard.LockedBuffer, count)
				for i := range bufs {
					bufs[i] = memguard.NewBuffer(32)
				}
				report(b, before, snapshot(b), count)
				for _, buf := range bufs {
					buf.Destroy()
				}
			}
		})
	}
}

func lockLimitAllows(bytes int) bool {
	var lim unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim)
	return os.Getuid() == 0 || lim.Cur == unix.RLIM_INFINITY || uint64(bytes) < lim.Cur
}

// mapsLeft is how many more mappings the process may create (vm.max_map_count).
func mapsLeft() int {
	limit := 65530
	if b, err := os.ReadFile("/proc/sys/vm/max_map_count"); err == nil {
		limit, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	var tb testing.B
	return limit - int(snapshot(&tb).vmas)
}

type mem struct{ rss, locked, vmas int64 }

func snapshot(tb testing.TB) mem {
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		tb.Fatal(err)
	}
	var m mem
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "Rss:":
			m.rss += kb(f[1])
		case len(f) >= 2 && f[0] == "Locked:":
			m.locked += kb(f[1])
		case len(f) >= 1 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			m.vmas++
		}
	}
	return m
}

func kb(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v << 10 }

func report(b *testing.B, before, after mem, count int) {
	b.ReportMetric(float64(after.rss-before.rss)/float64(count), "resident-B/secret")
	b.ReportMetric(float64(after.locked-before.locked)/float64(count), "locked-B/secret")
	b.ReportMetric(float64(after.vmas-before.vmas)/float64(count), "VMAs/secret")
}

// Open and close a region: a raw mprotect pair against Enter+Exit of a domain over an arena of
// about that size, with 0, 1 or 2 other threads busy (mprotect must then shoot down their TLBs).
func BenchmarkEnterExitVsMprotect(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10, 1 << 20, 16 << 20} {
		for _, busy := range []int{0, 1, 2} {
			b.Run(fmt.Sprintf("mprotect/%s/busy=%d", human(size), busy), func(b *testing.B) {
				stop := spin(busy)
				defer stop()
				m, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE|unix.MAP_LOCKED)
				if err != nil {
					b.Skip(err)
				}
				defer unix.Munmap(m)
				for b.Loop() {
					unix.Mprotect(m, unix.PROT_NONE)
					unix.Mprotect(m, unix.PROT_READ|unix.PROT_WRITE)
				}
			})
			b.Run(fmt.Sprintf("domain/%s/busy=%d", human(size), busy), func(b *testing.B) {
				stop := spin(busy)
				defer stop()
				a, err := arena.NewArena()
				if err != nil {
					b.Fatal(err)
				}
				defer a.Close()
				if _, err := a.Alloc(size - 64); err != nil { // one region of about size
					b.Skip(err)
				}
				d, _ := domain.New(domain.ReadWrite(a))
				b.ReportAllocs()
				for b.Loop() {
					d.Enter().Exit()
				}
				b.ReportMetric(float64(a.Stats().Regions), "regions")
			})
		}
	}
}

func human(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

// spin keeps n goroutines busy on their own threads until stop is called.
func spin(n int) (stop func()) {
	var done atomic.Bool
	for i := 0; i < n; i++ {
		go func() {
			runtime.LockOSThread()
			for !done.Load() {
			}
		}()
	}
	return func() { done.Store(true) }
}
