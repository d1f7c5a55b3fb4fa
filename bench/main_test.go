package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// The busy-thread benchmarks start spinning goroutines; goleak checks they all stopped.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
