package guard_test

import (
	"testing"
	"unsafe"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/internal/regions"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// An over-read into the guard page from inside a domain is an overflow of the arena, and, in
// PKU mode, one made inside the domain, with the rights the thread had: read-only and
// read-write grants alike (the guard page faults whatever the grant).
func TestGuardPageOverflowInsideDomain(t *testing.T) {
	tests := []struct {
		name   string
		grant  func(*arena.Arena) domain.Grant
		access pkru.Access
	}{
		{"read-only", domain.ReadOnly, pkru.ReadOnly},
		{"read-write", domain.ReadWrite, pkru.ReadWrite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newArena(t, "buf")
			b := alloc(t, a, 32)
			d, err := domain.New(tt.grant(a))
			if err != nil {
				t.Fatal(err)
			}
			reg, ok := regions.Lookup(uintptr(unsafe.Pointer(&b[0])))
			if !ok {
				t.Fatal("the arena's region is not registered")
			}
			over := unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), reg.DataEnd()-uintptr(unsafe.Pointer(&b[0]))+1)
			d.Do(func() error {
				err = guard.Catch(func() {
					for i := range over {
						sink += over[i]
					}
				})
				return nil
			})
			v := asViolation(t, err)
			if v.Where != guard.Overflow || v.Arena != "buf" || v.Addr != reg.DataEnd() {
				t.Errorf("over-read: %+v, want an overflow of arena buf at %#x", v, reg.DataEnd())
			}
			if a.Mode() != arena.PKU {
				if v.InDomain {
					t.Errorf("Mprotect mode has no per-thread rights to tell a domain by: %+v", v)
				}
				return
			}
			if !v.InDomain || v.Rights.Access(v.Region.Key) != tt.access || v.Op == guard.OpWrite {
				t.Errorf("inside a %s domain: in domain %v, rights %v for key %d, op %v; "+
					"want in domain, %v, not a write", tt.name, v.InDomain, v.Rights, v.Region.Key, v.Op, tt.access)
			}
		})
	}
}
