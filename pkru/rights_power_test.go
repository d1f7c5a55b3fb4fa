//go:build ppc64 || ppc64le

package pkru_test

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// The POWER AMR layout, bit for bit (Linux arch/powerpc/mm/book3s64/pkeys.c: key k at shift
// 2*(31-k), AMR_RD_BIT = 1, AMR_WR_BIT = 2; the default denies every key but 0).
func TestRightsLayoutPower(t *testing.T) {
	tests := []struct {
		name      string
		got, want pkru.Rights
	}{
		{"kernel default", pkru.DefaultRights, 0x3fffffffffffffff},
		{"default, key 4 rw", pkru.DefaultRights.With(4, pkru.ReadWrite), 0x3f3fffffffffffff},
		{"default, key 4 ro", pkru.DefaultRights.With(4, pkru.ReadOnly), 0x3fbfffffffffffff},
		{"allow all, key 31 none", pkru.AllowAll.With(31, pkru.NoAccess), 0x3},
		{"allow all, key 0 ro", pkru.AllowAll.With(0, pkru.ReadOnly), 0x8000000000000000},
		{"other keys untouched", pkru.Rights(0xffffffffffffffff).With(30, pkru.ReadWrite),
			0xfffffffffffffff3},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %#x, want %#x", tt.name, uint64(tt.got), uint64(tt.want))
		}
	}
	got := pkru.Rights(0x3f3fffffffffffff).String()
	if want := "0x3f3fffffffffffff [0:rw 1-3:none 4:rw 5-31:none]"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if pkru.Rights(1<<(2*(31-7))).Access(7) != pkru.NoAccess { // reads disabled, writes allowed
		t.Error("a key whose reads are disabled must read as NoAccess")
	}
}
