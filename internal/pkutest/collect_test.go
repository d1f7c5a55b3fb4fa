package pkutest

import (
	"runtime"
	"testing"
	"weak"
)

type blob struct{ _ [64]byte }

// CollectAll returns once the objects are gone; CollectUntil once its channel is closed, which a
// cleanup closes here.
func TestCollect(t *testing.T) {
	ptrs := make([]weak.Pointer[blob], 4)
	for i := range ptrs {
		ptrs[i] = weak.Make(&blob{})
	}
	CollectAll(t, ptrs)
	for _, p := range ptrs {
		if p.Value() != nil {
			t.Fatal("an object survived CollectAll")
		}
	}
	done := make(chan struct{})
	runtime.AddCleanup(&blob{}, func(c chan struct{}) { close(c) }, done)
	CollectUntil(done)
}
