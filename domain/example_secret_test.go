package domain_test

import (
	"context"
	"fmt"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
)

func ExampleDomain_DoSecret() {
	keys, _ := arena.NewArena(arena.Name("keys"))
	defer keys.Close()
	key, _ := keys.Alloc(16)
	d, _ := domain.New(domain.ReadWrite(keys))

	err := d.DoSecret(func() error {
		copy(key, "0123456789abcdef")
		// A heap copy of protected bytes: with GOEXPERIMENT=runtimesecret it is erased once
		// collected, and the registers and stack used here when DoSecret returns.
		upper := []byte(string(key[10:]))
		fmt.Printf("%s\n", upper)
		return nil
	})
	fmt.Println(err)
	// Output:
	// abcdef
	// <nil>
}

func ExampleSecretErasure() {
	keys, _ := arena.NewArena(arena.Name("keys"))
	defer keys.Close()
	d, _ := domain.New(domain.ReadWrite(keys))

	d.DoSecret(func() error {
		// Inside DoSecret it matches SecretErasureAvailable: whether temporaries are erased.
		fmt.Println(domain.SecretErasure() == domain.SecretErasureAvailable())
		return nil
	})
	fmt.Println(domain.SecretErasure()) // outside: never
	// Output:
	// true
	// false
}

func ExampleSecretErasureAvailable() {
	if !domain.SecretErasureAvailable() {
		fmt.Println("DoSecret runs as Do: build with GOEXPERIMENT=runtimesecret to erase")
	}
}

func ExampleDomain_DoSecretContext() {
	keys, _ := arena.NewArena(arena.Name("keys"))
	defer keys.Close()
	secret, _ := keys.Alloc(8)
	d, _ := domain.New(domain.ReadWrite(keys))
	err := d.DoSecretContext(context.Background(), func() error {
		copy(secret, "k3y-b1ts") // copies fn makes are erased where the build erases
		return nil
	})
	fmt.Println(err)
	// Output: <nil>
}
