//go:build !linux

package main

import (
	"fmt"
	"os"
)

// guest is only meaningful as /init of a Linux guest.
func guest() {
	fmt.Fprintln(os.Stderr, "vmrun: the guest side runs only on Linux")
	os.Exit(125)
}
