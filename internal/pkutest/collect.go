package pkutest

import (
	"runtime"
	"testing"
	"weak"
)

// CollectUntil runs the garbage collector until done is closed (by a hook at the end of a
// cleanup); a cleanup that never runs fails the test by its timeout.
func CollectUntil(done <-chan struct{}) {
	for {
		runtime.GC()
		select {
		case <-done:
			return
		default:
			runtime.Gosched()
		}
	}
}

// CollectAll runs the garbage collector until every object ptrs refers to is gone, failing the
// test after 20 collections, and once more so that the sweep that frees the last of them is done.
func CollectAll[T any](tb testing.TB, ptrs []weak.Pointer[T]) {
	tb.Helper()
	for i := 0; ; i++ {
		live := 0
		for _, p := range ptrs {
			if p.Value() != nil {
				live++
			}
		}
		if live == 0 {
			break
		}
		if i == 20 {
			tb.Fatalf("%d objects still reachable after %d collections", live, i)
		}
		runtime.GC()
	}
	runtime.GC()
}
