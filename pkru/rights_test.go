package pkru_test

import (
	"errors"
	"testing"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// With and Access agree for every key and access, and touch no other key's bits, whatever the
// architecture's layout.
func TestRightsAccess(t *testing.T) {
	for k := pkru.Key(0); k < pkru.NumKeys; k++ {
		for _, a := range []pkru.Access{pkru.NoAccess, pkru.ReadOnly, pkru.ReadWrite} {
			r := pkru.DefaultRights.With(k, a)
			if r.Access(k) != a {
				t.Errorf("With(%d, %v).Access = %v", k, a, r.Access(k))
			}
			if (r^pkru.DefaultRights)&^pkru.Mask(k) != 0 {
				t.Errorf("With(%d, %v) changed bits of other keys: %v", k, a, r)
			}
		}
	}
}

func TestRightsPanicsOnBadKey(t *testing.T) {
	for _, fn := range []func(){
		func() { pkru.DefaultRights.With(pkru.NumKeys, pkru.ReadWrite) },
		func() { pkru.DefaultRights.With(-1, pkru.ReadWrite) },
		func() { pkru.DefaultRights.Access(pkru.NumKeys) },
		func() { pkru.Mask(-1) },
		func() { pkru.DefaultRights.With(1, pkru.Access(7)) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Error("no panic for an invalid key or access")
				}
			}()
			fn()
		}()
	}
}

func TestAccessString(t *testing.T) {
	if got := pkru.Access(9).String(); got != "Access(9)" {
		t.Errorf("invalid Access string %q", got)
	}
}

// An access level outside NoAccess..ReadWrite is refused with ErrInvalidAccess on every
// platform, before anything is allocated.
func TestAllocInvalidAccess(t *testing.T) {
	for _, a := range []pkru.Access{pkru.ReadWrite + 1, 9, 255} {
		if k, err := pkru.Alloc(a); !errors.Is(err, pkru.ErrInvalidAccess) {
			t.Errorf("Alloc(%d) = %d, %v; want ErrInvalidAccess", a, k, err)
		}
	}
}
