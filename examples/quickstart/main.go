// Command quickstart shows pkeyarena on this machine. For now it reports which isolation mode the
// library would use here; it grows into the full demo (arena, domain, a caught violation) as
// those packages land.
package main

import (
	"fmt"
	"os"

	"github.com/pkeyarena/pkeyarena/pkru"
)

func main() {
	if err := pkru.Supported(); err != nil {
		fmt.Println("mode: mprotect fallback (process-wide, temporal protection)")
		fmt.Println("why: ", err)
		os.Exit(0)
	}
	fmt.Println("mode: protection keys (per-thread isolation)")
}
