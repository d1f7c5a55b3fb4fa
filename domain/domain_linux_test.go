package domain_test

import (
	"errors"
	"testing"

	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/unix"
)

// The kernel honours the domain in copy_from_user: write(2) of arena bytes fails with EFAULT
// outside and works inside.
func TestWriteSyscallInsideOutside(t *testing.T) {
	a := newArena(t, "io")
	b := alloc(t, a, 16)
	d := newDomain(t, domain.ReadOnly(a))
	var p [2]int
	p[0], p[1] = pkutest.Pipe(t)
	if _, err := unix.Write(p[1], b); !errors.Is(err, unix.EFAULT) {
		t.Errorf("write(2) outside: %v, want EFAULT", err)
	}
	d.Do(func() error {
		if n, err := unix.Write(p[1], b); n != 16 || err != nil {
			t.Errorf("write(2) inside: %d, %v", n, err)
		}
		return nil
	})
}
