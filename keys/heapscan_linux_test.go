package keys

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/internal/regions"
)

// The memory scan (in the spirit of runtime/secret's tests): a child process loads an Ed25519
// key from a file, signs with it many times on a goroutine that then stays parked, collects
// garbage, and reads every readable and writable mapping of its own memory outside the arenas
// through /proc/self/mem (the Go heap, goroutine stacks, the runtime's and libc's anonymous
// memory, the binary's data). Nothing in it may hold the seed, the seed as SHA-512 reads it
// (big-endian words), the scalar (clamped or not) or the nonce prefix.
//
// The child knows what to look for only masked (XOR maskByte), in memory outside the Go heap
// that the scan skips, and compares masked memory with the masked needles: the plain secret
// exists only where the code under test put it. The planted cases prove the scan can fail: a
// copy of the seed in a live heap slice, or on a parked goroutine's stack, must be found.

const (
	scanChild  = "heapscan"
	scanFile   = "KEYS_SCAN_FILE"
	scanPlant  = "KEYS_SCAN_PLANT" // "", "heap" or "stack"
	scanFault  = "KEYS_SCAN_FAULT" // "1": a last Sign reads a message that faults, under guard.Catch
	scanNeedle = "KEYS_SCAN_NEEDLES"
	scanAlg    = "KEYS_SCAN_ALG"
	scanSigns  = 500
	maskByte   = 0x5c
	chunkSize  = 1 << 20
)

// needleNames are the secrets the scan looks for, in the order of needlesOf's result.
var needleNames = map[Algorithm][]string{
	Ed25519:   {"seed", "seed as SHA-512 words", "scalar", "clamped scalar", "nonce prefix"},
	ECDSAP256: {"scalar", "scalar as little-endian limbs"},
}

// needlesOf derives the needles from a key's secret (in the parent, which may hold them).
func needlesOf(alg Algorithm, secret []byte) [][]byte {
	if alg != Ed25519 {
		reversed := bytes.Clone(secret)
		slices.Reverse(reversed)
		return [][]byte{secret, reversed}
	}
	expanded := sha512.Sum512(secret)
	words := make([]byte, 32)
	for i := 0; i < 32; i += 8 {
		binary.LittleEndian.PutUint64(words[i:], binary.BigEndian.Uint64(secret[i:]))
	}
	clamped := bytes.Clone(expanded[:32])
	clamped[0] &= 248
	clamped[31] &= 127
	clamped[31] |= 64
	return [][]byte{secret, words, expanded[:32], clamped, expanded[32:]}
}

func TestHeapScan(t *testing.T) {
	if testing.Short() {
		t.Skip("the scan reads all of a child process's memory")
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		alg     Algorithm
		format  string
		plant   string
		inPlace bool // GODEBUG=gcshrinkstackoff=1: the signing goroutine's stack stays where it was
		fault   bool // the last Sign faults reading its message (in another arena), caught
	}{
		{Ed25519, "raw seed", "", false, false},
		{Ed25519, "PKCS#8", "", false, false},
		{Ed25519, "OpenSSH", "", false, false},
		{Ed25519, "raw seed", "", true, false},
		{Ed25519, "PKCS#8", "", true, false},
		{Ed25519, "OpenSSH", "", true, false},
		{Ed25519, "PKCS#8", "heap", false, false},
		{Ed25519, "PKCS#8", "stack", true, false},
		{ECDSAP256, "PKCS#8", "", false, false},
		{Ed25519, "PKCS#8", "", true, true},
		{Ed25519, "PKCS#8", "", false, true},
	} {
		name := tt.alg.String() + ", " + tt.format
		if tt.inPlace {
			name += ", stacks kept in place"
		}
		if tt.plant != "" {
			name += ", a copy planted on the " + tt.plant
		}
		if tt.fault {
			name += ", after a fault in Sign"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, tt.alg)
			var in []byte
			switch tt.format {
			case "raw seed":
				in = f.secret
			case "PKCS#8":
				in = f.pkcs8(t)
			case "OpenSSH":
				in = f.openssh(t, nil)
			}
			path := filepath.Join(dir, strings.NewReplacer(" ", "_", ",", "").Replace(name))
			if err := os.WriteFile(path, in, 0o600); err != nil {
				t.Fatal(err)
			}
			var masked []string
			for _, n := range needlesOf(tt.alg, f.secret) {
				m := make([]byte, len(n))
				for i := range n {
					m[i] = n[i] ^ maskByte
				}
				masked = append(masked, hex.EncodeToString(m))
			}
			env := []string{scanFile + "=" + path, scanPlant + "=" + tt.plant,
				scanNeedle + "=" + strings.Join(masked, ","), scanAlg + "=" + strconv.Itoa(int(tt.alg))}
			if tt.inPlace {
				env = append(env, "GODEBUG=gcshrinkstackoff=1")
			}
			if tt.fault {
				env = append(env, scanFault+"=1")
			}
			out, err := childCommand(t, scanChild, env...).CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			res := parseScan(t, out)
			t.Logf("scanned %d MiB in %d mappings (%d bytes unreadable)", res.bytes>>20, res.mappings, res.unreadable)
			if tt.fault && !strings.Contains(string(out), "fault: caught, scratch freed") {
				t.Fatalf("the faulting Sign was not caught, or left its scratch allocated:\n%s", out)
			}
			if !res.heap || !res.stack || res.bytes < 4<<20 {
				t.Fatalf("the scan missed the heap (%v) or the signing goroutine's stack (%v), or read only %d bytes:\n%s",
					res.heap, res.stack, res.bytes, out)
			}
			switch {
			case tt.alg != Ed25519 && domain.SecretErasureAvailable():
				// Built with GOEXPERIMENT=runtimesecret: DoSecret erases what crypto/ecdsa
				// copied, once the collector frees it.
				for _, f := range res.found {
					t.Errorf("found %s, with runtime/secret erasing", f)
				}
			case tt.alg != Ed25519:
				// What the package doc says of ECDSA without runtime/secret, measured:
				// crypto/ecdsa's own copies of the scalar, in freed heap memory.
				t.Logf("%d copies of the ECDSA scalar outside the arena after %d signatures", len(res.found), scanSigns)
				for _, f := range res.found[:min(3, len(res.found))] {
					t.Log("  e.g.", f)
				}
				if len(res.found) == 0 {
					t.Error("no copy of the ECDSA scalar found: the package doc says crypto/ecdsa leaves some; check it")
				}
			case tt.plant == "":
				for _, f := range res.found {
					t.Errorf("found %s", f)
				}
			default:
				var seen bool
				for _, f := range res.found {
					seen = seen || strings.HasPrefix(f, "seed at ")
				}
				if !seen {
					t.Fatalf("the scan did not find the seed planted on the %s:\n%s", tt.plant, out)
				}
			}
		})
	}
}

type scanResult struct {
	bytes, mappings, unreadable int
	heap, stack                 bool
	found                       []string
}

func parseScan(t *testing.T, out []byte) scanResult {
	t.Helper()
	var r scanResult
	var done bool
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if f, ok := strings.CutPrefix(line, "found: "); ok {
			r.found = append(r.found, f)
		}
		if s, ok := strings.CutPrefix(line, "scan: "); ok {
			for _, kv := range strings.Fields(s) {
				k, v, _ := strings.Cut(kv, "=")
				n, _ := strconv.Atoi(v)
				switch k {
				case "bytes":
					r.bytes = n
				case "mappings":
					r.mappings = n
				case "unreadable":
					r.unreadable = n
				case "heap":
					r.heap = v == "true"
				case "stack":
					r.stack = v == "true"
				}
			}
			done = true
		}
	}
	if !done {
		t.Fatalf("the child reported no scan:\n%s", out)
	}
	return r
}

// heapProbe is a live heap object whose address the scan must cover.
var heapProbe = new([4096]byte)

// planted keeps the heap copy of the planted case alive.
var planted []byte

// childHeapScan is the child's side of TestHeapScan.
func childHeapScan() int {
	n, _ := strconv.Atoi(os.Getenv(scanAlg))
	alg := Algorithm(n)
	sc, err := newScanner(alg, os.Getenv(scanNeedle))
	if err != nil {
		fmt.Println("child:", err)
		return 1
	}
	s, err := LoadFile(os.Getenv(scanFile))
	if err != nil {
		fmt.Println("child:", err)
		return 1
	}
	plant := os.Getenv(scanPlant)
	runtime.GC()

	// Sign on a goroutine that then stays parked, its stack as signing left it.
	stackAddr := make(chan uintptr)
	release := make(chan struct{})
	failed := make(chan error, 1)
	go func() {
		var onStack [32]byte
		for i := 0; i < scanSigns; i++ {
			msg, opts := []byte(fmt.Sprintf("message %d", i)), crypto.SignerOpts(crypto.Hash(0))
			if alg != Ed25519 {
				sum := sha256.Sum256(msg)
				msg, opts = sum[:], crypto.SHA256
			}
			if _, err := s.Sign(rand.Reader, msg, opts); err != nil {
				failed <- err
				return
			}
		}
		if os.Getenv(scanFault) == "1" {
			if err := faultInSign(s); err != nil {
				failed <- err
				return
			}
		}
		if plant == "stack" {
			tok := s.home.dom.Enter()
			copy(onStack[:], s.key.bytes()[:seedSize])
			tok.Exit()
		}
		stackAddr <- uintptr(unsafe.Pointer(&onStack))
		<-release
		heapProbe[0] = onStack[0] // keeps onStack live, on this stack, until the scan is done
	}()
	var stack uintptr
	select {
	case err := <-failed:
		fmt.Println("child: Sign:", err)
		return 1
	case stack = <-stackAddr:
	}
	if plant == "heap" {
		s.home.dom.Do(func() error {
			planted = append([]byte(nil), s.key.bytes()[:seedSize]...)
			return nil
		})
	}
	for i := 0; i < 3; i++ {
		runtime.GC()
	}

	res := sc.scan(uintptr(unsafe.Pointer(heapProbe)), stack)
	fmt.Printf("scan: bytes=%d mappings=%d unreadable=%d heap=%v stack=%v\n",
		res.bytes, res.mappings, res.unreadable, res.heap, res.stack)
	for _, f := range res.found {
		fmt.Println("found:", f)
	}
	close(release)
	runtime.KeepAlive(planted)
	if err := s.Close(); err != nil {
		fmt.Println("child: Close:", err)
		return 1
	}
	return 0
}

// faultInSign signs a message that the key's domain cannot read (another arena's memory: in PKU
// mode the domain denies it, in Mprotect mode its pages are closed), under guard.Catch: the
// fault's signal frame and the stack it leaves must hold no secret, and the scratch Sign
// allocated must be freed.
func faultInSign(s *Signer) error {
	other, err := arena.NewArena(arena.Name("other"))
	if err != nil {
		return err
	}
	defer other.Close()
	msg, err := other.Alloc(100)
	if err != nil {
		return err
	}
	before := s.home.arena.Stats().Objects
	err = guard.Catch(func() { s.Sign(nil, msg, crypto.Hash(0)) })
	var v *guard.Violation
	if !errors.As(err, &v) {
		return fmt.Errorf("Sign of another arena's bytes: %v, want a *guard.Violation", err)
	}
	if after := s.home.arena.Stats().Objects; after != before {
		return fmt.Errorf("the key's arena held %d objects before the faulting Sign, %d after",
			before, after)
	}
	fmt.Println("fault: caught, scratch freed")
	return nil
}

// scanner holds its needles and buffers in an anonymous mapping of its own, outside the Go heap,
// which it does not scan.
type scanner struct {
	mem     []byte   // the whole mapping
	needles [][]byte // masked, in mem
	mask    []byte   // maskByte, as long as buf, in mem
	buf     []byte   // what is read, then masked, in mem
	names   []string
}

func newScanner(alg Algorithm, masked string) (*scanner, error) {
	parts := strings.Split(masked, ",")
	if len(parts) != len(needleNames[alg]) {
		return nil, fmt.Errorf("%d needles for %v, want %d", len(parts), alg, len(needleNames[alg]))
	}
	const bufSize = chunkSize + 4096 // a chunk and the overlap carried from the one before
	size := 2*bufSize + 64*len(parts)
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, err
	}
	sc := &scanner{mem: mem, mask: mem[:bufSize], buf: mem[bufSize : 2*bufSize], names: needleNames[alg]}
	for i := range sc.mask {
		sc.mask[i] = maskByte
	}
	off := 2 * bufSize
	for _, p := range parts {
		n := mem[off : off+len(p)/2]
		if _, err := hex.Decode(n, []byte(p)); err != nil {
			return nil, err
		}
		sc.needles = append(sc.needles, n)
		off += 64
	}
	return sc, nil
}

type scanReport struct {
	bytes, mappings, unreadable int
	heap, stack                 bool
	found                       []string
}

// scan reads every rw mapping except arenas' and its own, and reports where needles are, and
// whether the addresses heap and stack were in what it read.
func (sc *scanner) scan(heap, stack uintptr) scanReport {
	var r scanReport
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		r.found = append(r.found, "nothing: "+err.Error())
		return r
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		r.found = append(r.found, "nothing: "+err.Error())
		return r
	}
	defer mem.Close()
	own := uintptr(unsafe.Pointer(&sc.mem[0]))
	for _, line := range strings.Split(string(maps), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[1], "rw") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		if uintptr(start) <= own && own < uintptr(end) {
			continue
		}
		if _, isArena := regions.Lookup(uintptr(start)); isArena {
			continue
		}
		r.mappings++
		name := strings.Join(f[5:], " ")
		if heap >= uintptr(start) && heap < uintptr(end) {
			r.heap = true
		}
		if stack >= uintptr(start) && stack < uintptr(end) {
			r.stack = true
		}
		sc.scanRange(mem, start, end, name, &r)
	}
	return r
}

// scanRange reads [start, end) in chunks that overlap by a needle's length less one.
func (sc *scanner) scanRange(mem *os.File, start, end uint64, name string, r *scanReport) {
	const overlap = 63
	carry := 0
	for addr := start; addr < end; {
		n := min(uint64(chunkSize), end-addr)
		got, err := mem.ReadAt(sc.buf[carry:carry+int(n)], int64(addr))
		if err != nil && got == 0 {
			// Skip the page that failed (a hole the kernel refuses), keep going.
			r.unreadable += 4096
			addr += 4096
			carry = 0
			continue
		}
		r.bytes += got
		view := sc.buf[:carry+got]
		subtle.XORBytes(view, view, sc.mask[:len(view)])
		for i, nd := range sc.needles {
			for off := 0; ; {
				j := bytes.Index(view[off:], nd)
				if j < 0 {
					break
				}
				at := addr - uint64(carry) + uint64(off+j)
				r.found = append(r.found, fmt.Sprintf("%s at %#x in %x-%x %s", sc.names[i], at, start, end, name))
				off += j + 1
			}
		}
		carry = min(overlap, len(view))
		copy(sc.buf, view[len(view)-carry:])
		// Unmasked again: the next round masks the whole buffer.
		subtle.XORBytes(sc.buf[:carry], sc.buf[:carry], sc.mask[:carry])
		addr += uint64(got)
	}
}
