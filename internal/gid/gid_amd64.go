package gid

// current is implemented in gid_amd64.s.
//
//go:noescape
func current() uintptr
