package gid

// current, thread and threadCheck are implemented in gid_arm64.s.

//go:noescape
func current() uintptr

//go:noescape
func thread() uintptr

//go:noescape
func threadCheck() (m, g0m uintptr)
