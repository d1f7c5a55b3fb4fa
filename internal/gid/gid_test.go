package gid

import (
	"runtime"
	"testing"
)

// Goroutines that run at once get different identifiers; one goroutine keeps its identifier
// across scheduling and stack growth.
func TestCurrent(t *testing.T) {
	if !withIDs() {
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

// Goroutines locked to threads at once get different thread identifiers, each stable while its
// goroutine stays locked, and on Linux each names one kernel thread (threadIDs).
func TestThread(t *testing.T) {
	if !withIDs() {
		if Thread() != 0 {
			t.Fatal("a thread identifier on an architecture without one")
		}
		return
	}
	if !threadOK {
		t.Fatal("the runtime's layout is not the one Thread reads: it gives no identifiers")
	}
	const n = 8
	type seen struct{ thread, tid uintptr }
	got := make(chan seen, n)
	release := make(chan struct{})
	for range n {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			me := Thread()
			grow(100)
			runtime.Gosched()
			if Thread() != me {
				t.Error("thread identifier changed within a locked goroutine")
			}
			got <- seen{me, threadID()}
			<-release
		}()
	}
	byThread, byTid := map[uintptr]uintptr{}, map[uintptr]uintptr{}
	for range n {
		s := <-got
		if s.thread == 0 {
			t.Fatal("no thread identifier")
		}
		if _, dup := byThread[s.thread]; dup {
			t.Errorf("thread identifier %#x shared by two locked goroutines", s.thread)
		}
		if other, dup := byTid[s.tid]; dup && s.tid != 0 {
			t.Errorf("kernel thread %d has two identifiers, %#x and %#x", s.tid, other, s.thread)
		}
		byThread[s.thread], byTid[s.tid] = s.tid, s.thread
	}
	close(release)
}

func withIDs() bool {
	switch runtime.GOARCH {
	case "amd64", "arm64", "ppc64le", "ppc64":
		return true
	}
	return false
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
