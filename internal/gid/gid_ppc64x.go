//go:build ppc64 || ppc64le

package gid

// current is implemented in gid_ppc64x.s.
//
//go:noescape
func current() uintptr
