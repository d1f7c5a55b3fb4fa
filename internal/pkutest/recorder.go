package pkutest

import (
	"runtime"
	"testing"
)

// Recorder is a testing.TB that records Skipf and Fatalf and, like the real ones, ends the
// goroutine that calls them: for tests of test helpers. Use it through Call.
type Recorder struct {
	testing.TB
	SkipMsg, FailMsg string // the messages of Skipf and Fatalf
}

func (r *Recorder) Helper()                      {}
func (r *Recorder) Skipf(f string, args ...any)  { r.SkipMsg = f; runtime.Goexit() }
func (r *Recorder) Fatalf(f string, args ...any) { r.FailMsg = f; runtime.Goexit() }

// Call runs fn(r) on its own goroutine, as the testing package runs a test, and waits for it.
func (r *Recorder) Call(fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
}
