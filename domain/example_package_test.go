package domain_test

import (
	"fmt"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
)

// A domain is a set of grants: code inside it reads the arenas it grants (the key read-write,
// the untrusted input read-only) and no other; outside it, or on another thread, both fault.
func Example() {
	keys, _ := arena.NewArena(arena.Name("keys"))
	defer keys.Close()
	input, _ := arena.NewArena(arena.Name("input"))
	defer input.Close()
	key, _ := keys.Alloc(8)
	msg, _ := input.Alloc(5)

	loader, _ := domain.New(domain.ReadWrite(keys), domain.ReadWrite(input))
	loader.Do(func() error {
		copy(key, "k3y-b1ts")
		copy(msg, "hello")
		return nil
	})

	signer, _ := domain.New(domain.ReadWrite(keys), domain.ReadOnly(input))
	fmt.Println(signer)
	signer.Do(func() error {
		fmt.Println(string(msg), len(key))
		return nil
	})
	// Output:
	// domain{keys:rw,input:ro}
	// hello 8
}
