//go:build ppc64 || ppc64le

package gid

import "unsafe"

// current is implemented in gid_ppc64x.s.
//
//go:noescape
func current() unsafe.Pointer
