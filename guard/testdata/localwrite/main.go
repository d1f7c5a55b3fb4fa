// Command localwrite stands for a binary with a dependency that names a file-local assembly
// function (TEXT name<>(SB)) as pkru's register write, which the linker allows beside the real
// one: it audits itself, or the file named by its argument, and prints each finding as
// "instruction symbol expected".
package main

import (
	"fmt"
	"os"

	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// write is file-local in local_amd64.s, named as package pkru's wrpkru.
func write()

func main() {
	rep, err := guard.Audit()
	if len(os.Args) > 1 {
		rep, err = guard.AuditFile(os.Args[1])
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for _, f := range rep.Findings {
		fmt.Println(f.Instruction, f.Symbol, f.Expected)
	}
	if len(os.Args) > 2 { // never: links the disguised write, and pkru's
		write()
		pkru.Write(pkru.Read())
	}
}
