package gid

import (
	"runtime"
	"testing"
)

// Goroutines that run at once get different identifiers; one goroutine keeps its identifier
// across scheduling and stack growth.
func TestCurrent(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" && runtime.GOARCH != "ppc64le" &&
		runtime.GOARCH != "ppc64" {
		if Current() != 0 {
			t.Fatal("an identifier on an architecture without one")
		}
		return
	}
	me := Current()
	if me == 0 {
		t.Fatal("no identifier")
	}
	grow(100)
	runtime.Gosched()
	if Current() != me {
		t.Error("identifier changed within one goroutine")
	}
	const n = 8
	ids := make(chan uintptr, n)
	release := make(chan struct{})
	for range n {
		go func() { ids <- Current(); <-release }()
	}
	seen := map[uintptr]bool{me: true}
	for range n {
		id := <-ids
		if seen[id] {
			t.Errorf("identifier %#x shared by two running goroutines", id)
		}
		seen[id] = true
	}
	close(release)
}

//go:noinline
func grow(n int) int {
	var pad [256]byte
	if n == 0 {
		return int(pad[0])
	}
	return grow(n-1) + int(pad[n%256])
}

// Slot stays in range and spreads consecutive aligned addresses over the slots.
func TestSlot(t *testing.T) {
	const bits = 3
	seen := map[uint]int{}
	for i := range uintptr(64) {
		s := Slot(0xc0000000+i*0x1a0, bits) // descriptors are a few hundred bytes apart
		if s >= 1<<bits {
			t.Fatalf("slot %d out of range", s)
		}
		seen[s]++
	}
	if len(seen) != 1<<bits {
		t.Errorf("64 addresses fill %d of %d slots: %v", len(seen), 1<<bits, seen)
	}
}

// Where there is a descriptor, the identifier is the goroutine's ID as tracebacks print it, found
// by the calibration at init: Go 1.26's layout must be recognised.
func TestCurrentIsGoroutineID(t *testing.T) {
	if Descriptor() == 0 {
		t.Skip("no descriptor on " + runtime.GOARCH)
	}
	if !Unique() {
		t.Fatal("the goroutine ID was not found in the descriptor: identifiers are reusable addresses")
	}
	for range 4 {
		got := make(chan [2]uint64)
		go func() { got <- [2]uint64{uint64(Current()), stackID()} }()
		if ids := <-got; ids[0] != ids[1] || ids[0] == 0 {
			t.Errorf("Current %d, traceback's ID %d", ids[0], ids[1])
		}
	}
}

// A goroutine that gets the descriptor of one that ended gets another identifier: an identifier
// is never reused, also where the runtime reuses the descriptor.
func TestReusedDescriptorGetsNewIdentifier(t *testing.T) {
	if !Unique() {
		t.Skip("identifiers are descriptor addresses here")
	}
	type ident struct{ desc, id uintptr }
	first := make(chan ident)
	go func() { first <- ident{Descriptor(), Current()} }()
	old := <-first
	release := make(chan struct{})
	defer close(release)
	for range 10000 {
		got := make(chan ident)
		go func() {
			got <- ident{Descriptor(), Current()}
			<-release // keep the descriptor, so that the next goroutine gets another
		}()
		if now := <-got; now.desc == old.desc {
			if now.id == old.id {
				t.Fatalf("identifier %d given again with descriptor %#x", now.id, now.desc)
			}
			return
		}
	}
	t.Skip("the runtime gave the descriptor to none of 10 000 new goroutines")
}
