package arena_test

import (
	"fmt"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
)

// An arena holds a secret outside the Go heap; only a domain that grants the arena reads it.
// Anywhere else a read faults: guard.Catch turns the fault into an error naming the arena
// (see guard's examples).
func Example() {
	keys, err := arena.NewArena(arena.Name("keys"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer keys.Close() // wipes every byte, unmaps, frees the key
	secret, _ := keys.Alloc(16)

	d, _ := domain.New(domain.ReadWrite(keys))
	d.Do(func() error {
		copy(secret, "0123456789abcdef")
		return nil
	})
	d.Do(func() error {
		fmt.Println(string(secret[:4]), keys.Stats().Objects)
		return nil
	})
	// Output: 0123 1
}
