package gid

import "syscall"

// threadID is the kernel's number of the calling thread.
func threadID() uintptr { return uintptr(syscall.Gettid()) }
