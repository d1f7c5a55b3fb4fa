package guard_test

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/unix"
)

func protectNone(t *testing.T, b []byte) {
	if err := unix.Mprotect(b, unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
}

// A nil dereference and a fault on a PROT_NONE page that no arena owns are not Violations: they
// come back out of Catch as the panics they were.
func TestOtherFaultsPassThrough(t *testing.T) {
	page := pkutest.MapPages(t, 1)
	protectNone(t, page)
	var nilPtr *int
	tests := map[string]func(){
		"nil dereference":     func() { sink = byte(*nilPtr) },
		"unrelated PROT_NONE": read(page, 0),
		"ordinary panic":      func() { panic("not a fault") },
		"index out of range":  func() { var s []byte; sink = s[5] },
	}
	for name, fn := range tests {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: Catch swallowed it", name)
				}
			}()
			err := guard.Catch(fn)
			t.Errorf("%s: Catch returned %v instead of re-panicking", name, err)
		}()
	}
}
