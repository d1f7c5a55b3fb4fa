// Package gid identifies the running goroutine cheaply: for package domain's check that each
// Token is exited on the goroutine that entered it, innermost first, and for package secrets'
// refusal of a Destroy inside a Use of the same Secret.
package gid

// Current returns an identifier of the calling goroutine, unique among running goroutines (the
// address of its runtime descriptor, which the runtime may reuse once the goroutine ends), or 0
// where the platform gives none (gid_other.go).
func Current() uintptr { return current() }
