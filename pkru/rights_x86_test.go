//go:build !ppc64 && !ppc64le

package pkru_test

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// The x86-64 PKRU layout, bit for bit (Intel SDM vol. 3A, 4.6.2; the kernel's init_pkru).

func TestRightsLayout(t *testing.T) {
	kernelDefault := pkru.AllowAll.With(0, pkru.ReadWrite) // built key by key, not from DefaultRights
	for k := pkru.Key(1); k < 16; k++ {
		kernelDefault = kernelDefault.With(k, pkru.NoAccess)
	}
	tests := []struct {
		name string
		got  pkru.Rights
		want pkru.Rights
	}{
		{"kernel default", kernelDefault, 0x55555554},
		{"default, key 1 rw (pkey_alloc(0, 0))", pkru.DefaultRights.With(1, pkru.ReadWrite), 0x55555550},
		{"default, key 1 ro", pkru.DefaultRights.With(1, pkru.ReadOnly), 0x55555558},
		{"default, key 15 rw", pkru.DefaultRights.With(15, pkru.ReadWrite), 0x15555554},
		{"default, key 15 ro", pkru.DefaultRights.With(15, pkru.ReadOnly), 0x95555554},
		{"allow all, key 0 none", pkru.AllowAll.With(0, pkru.NoAccess), 0x1},
		{"allow all, key 3 ro", pkru.AllowAll.With(3, pkru.ReadOnly), 0x80},
		{"AD|WD cleared by rw", pkru.Rights(0xc).With(1, pkru.ReadWrite), 0},
		{"AD|WD becomes AD by none", pkru.Rights(0xc).With(1, pkru.NoAccess), 0x4},
		{"other keys untouched", pkru.Rights(0xffffffff).With(7, pkru.ReadWrite), 0xffff3fff},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestRightsAccessX86(t *testing.T) {
	tests := []struct {
		r    pkru.Rights
		k    pkru.Key
		want pkru.Access
	}{
		{pkru.DefaultRights, 0, pkru.ReadWrite},
		{pkru.DefaultRights, 1, pkru.NoAccess},
		{pkru.DefaultRights, 15, pkru.NoAccess},
		{0x55555558, 1, pkru.ReadOnly},
		{0x0000000c, 1, pkru.NoAccess}, // AD and WD both set: no access
		{0x80000000, 15, pkru.ReadOnly},
		{0, 9, pkru.ReadWrite},
	}
	for _, tt := range tests {
		if got := tt.r.Access(tt.k); got != tt.want {
			t.Errorf("%v.Access(%d) = %v, want %v", tt.r, tt.k, got, tt.want)
		}
	}
}

func TestRightsString(t *testing.T) {
	tests := []struct {
		r    pkru.Rights
		want string
	}{
		{pkru.DefaultRights, "0x55555554 [0:rw 1-15:none]"},
		{0x55555550, "0x55555550 [0-1:rw 2-15:none]"},
		{0x55555598, "0x55555598 [0:rw 1:ro 2:none 3:ro 4-15:none]"},
		{pkru.AllowAll, "0x00000000 [0-15:rw]"},
		{0x15555554, "0x15555554 [0:rw 1-14:none 15:rw]"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("String(%#x) = %q, want %q", uint64(tt.r), got, tt.want)
		}
	}
}
