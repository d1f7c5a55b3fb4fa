package domain_test

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// TryEnter reports, rather than waits for, a protection key when every key is pinned by threads
// inside other domains (PKU mode with more arenas in use than keys).
func ExampleDomain_TryEnter() {
	tenant, _ := arena.NewArena(arena.Name("tenant-42"))
	defer tenant.Close()
	d, _ := domain.New(domain.ReadWrite(tenant))

	tok, err := d.TryEnter()
	if errors.Is(err, arena.ErrKeysPinned) {
		fmt.Println("busy: try later") // shed load instead of queueing
		return
	}
	defer tok.Exit()
	fmt.Println("inside", d)
	// Output: inside domain{tenant-42:rw}
}

// Many more arenas than hardware keys: one per tenant. Keys move to the arenas in use.
func ExampleDomain_Enter_manyArenas() {
	var domains []*domain.Domain
	for i := 0; i < 40; i++ {
		a, _ := arena.NewArena(arena.Name(fmt.Sprintf("tenant-%d", i)))
		defer a.Close()
		secret, _ := a.Alloc(8)
		d, _ := domain.New(domain.ReadWrite(a))
		d.Do(func() error { secret[0] = byte(i); return nil })
		domains = append(domains, d)
	}
	fmt.Println(len(domains), "tenants, each readable only inside its own domain")
	// Output: 40 tenants, each readable only inside its own domain
}

// EnterContext bounds the wait for a protection key by a context (a request's deadline) instead
// of arena.KeyWait, and reports the end of the wait as an error rather than a panic.
func ExampleDomain_EnterContext() {
	keys, _ := arena.NewArena(arena.Name("request-keys"))
	defer keys.Close()
	d, _ := domain.New(domain.ReadOnly(keys))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	tok, err := d.EnterContext(ctx)
	if err != nil { // errors.Is(err, arena.ErrKeysPinned) && errors.Is(err, context.DeadlineExceeded)
		fmt.Println(err)
		return
	}
	tok.Exit()
	fmt.Println("entered")
	// Output: entered
}

func ExampleDomain_DoContext() {
	keys, _ := arena.NewArena(arena.Name("keys"))
	secret, _ := keys.Alloc(8)
	d, _ := domain.New(domain.ReadWrite(keys))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := d.DoContext(ctx, func() error { copy(secret, "k3y-b1ts"); return nil })
	fmt.Println(err)
	keys.Close()
	err = d.DoContext(ctx, func() error { return nil }) // an error, not a panic
	fmt.Println(errors.Is(err, arena.ErrClosed))
	// Output:
	// <nil>
	// true
}
