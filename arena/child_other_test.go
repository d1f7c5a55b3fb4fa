//go:build !linux

package arena_test

import (
	"fmt"
	"os"
)

func runChild(role string) int {
	fmt.Fprintf(os.Stderr, "child role %q exists only on Linux\n", role)
	return 2
}
