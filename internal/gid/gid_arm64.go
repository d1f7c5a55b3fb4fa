package gid

import "unsafe"

// current is implemented in gid_arm64.s.
//
//go:noescape
func current() unsafe.Pointer
