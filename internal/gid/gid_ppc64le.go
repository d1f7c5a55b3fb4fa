package gid

// current is implemented in gid_ppc64le.s.
//
//go:noescape
func current() uintptr
