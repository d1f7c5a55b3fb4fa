package gid

// current is implemented in gid_arm64.s.
//
//go:noescape
func current() uintptr
