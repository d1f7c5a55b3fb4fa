//go:build !amd64 && !arm64 && !ppc64 && !ppc64le

package gid

// current gives no identifier on other architectures: package domain then cannot tell one
// goroutine's tokens from another's (its doc says so).
func current() uintptr { return 0 }
