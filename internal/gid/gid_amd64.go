package gid

import "unsafe"

// current is implemented in gid_amd64.s.
//
//go:noescape
func current() unsafe.Pointer
