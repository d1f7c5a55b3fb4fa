package domain_test

import (
	"fmt"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
)

func ExampleDomain_Do() {
	keys, _ := arena.NewArena(arena.Name("keys"))
	defer keys.Close()
	secret, _ := keys.Alloc(32)

	signer, _ := domain.New(domain.ReadWrite(keys))
	err := signer.Do(func() error {
		copy(secret, "only readable in here")
		fmt.Println(string(secret[:21]))
		return nil
	})
	fmt.Println(err)
	// Output:
	// only readable in here
	// <nil>
}

func ExampleDomain_Enter() {
	keys, _ := arena.NewArena()
	defer keys.Close()
	secret, _ := keys.Alloc(8)
	d, _ := domain.New(domain.ReadWrite(keys))

	tok := d.Enter() // this goroutine's thread can use keys' memory now
	secret[0] = 42
	fmt.Println(secret[0])
	tok.Exit() // and not any more

	// Output: 42
}

func ExampleNew() {
	keys, _ := arena.NewArena(arena.Name("keys"))
	defer keys.Close()
	input, _ := arena.NewArena(arena.Name("input"))
	defer input.Close()

	// A parser may read the input and nothing else; the keys arena is denied to it.
	parser, err := domain.New(domain.ReadOnly(input))
	fmt.Println(parser, err)
	// Output: domain{input:ro} <nil>
}

func ExampleReadOnly() {
	a, _ := arena.NewArena(arena.Name("config"))
	defer a.Close()
	d, _ := domain.New(domain.ReadOnly(a))
	fmt.Println(d)
	// Output: domain{config:ro}
}

func ExampleReadWrite() {
	a, _ := arena.NewArena(arena.Name("session"))
	defer a.Close()
	d, _ := domain.New(domain.ReadWrite(a))
	fmt.Println(d)
	// Output: domain{session:rw}
}

func ExampleDomain_Mode() {
	a, _ := arena.NewArena()
	defer a.Close()
	d, _ := domain.New(domain.ReadWrite(a))
	if d.Mode() == arena.Mprotect {
		fmt.Println("process-wide protection only: no protection keys here")
	}
}

func ExampleToken_Exit() {
	a, _ := arena.NewArena()
	defer a.Close()
	d, _ := domain.New(domain.ReadWrite(a))
	func() {
		tok := d.Enter()
		defer tok.Exit() // every Enter needs exactly one Exit, in last-in first-out order
		// ...
	}()
}
