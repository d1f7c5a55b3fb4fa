package arena_test

import (
	"errors"
	"fmt"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/guard"
)

// An arena holds a secret outside the Go heap; only a domain that grants the arena reads it, and
// a read from anywhere else faults (guard.Catch turns the fault into an error naming the arena).
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

	err = guard.Catch(func() { fmt.Println(secret[0]) }) // outside the domain
	var v *guard.Violation
	fmt.Println(errors.As(err, &v), v.Arena)
	// Output: true keys
}
