//go:build !linux

package guard_test

import "os"

func runChild(role string) { os.Exit(2) }
