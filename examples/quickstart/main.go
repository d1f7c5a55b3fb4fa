// Command quickstart is pkeyarena's demo: it keeps a secret in an arena, reads it inside a domain,
// and shows reads from outside being caught as *guard.Violation errors instead of leaking.
//
//	go run ./examples/quickstart
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/pkru"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// leaked receives bytes read on purpose from outside the domain, so the reads are kept.
var leaked atomic.Uint32

func run(w io.Writer) error {
	keys, err := arena.NewArena(arena.Name("keys"))
	if err != nil {
		return err
	}
	defer keys.Close()
	secret, err := keys.Alloc(32)
	if err != nil {
		return err
	}
	signer, err := domain.New(domain.ReadWrite(keys))
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "mode: %v\n", signer.Mode())
	if why := pkru.Supported(); why != nil {
		fmt.Fprintf(w, "  (%v)\n", why)
	}

	// Store the secret and read it back: only inside the domain.
	signer.Do(func() error {
		copy(secret, "sk_live_4f9a0c1e")
		return nil
	})
	signer.Do(func() error {
		fmt.Fprintf(w, "inside the domain:   %s\n", secret[:16])
		return nil
	})

	// Outside the domain the same bytes fault; guard turns the fault into an error.
	err = guard.Catch(func() { leaked.Store(uint32(secret[0])) })
	var v *guard.Violation
	if !errors.As(err, &v) {
		return fmt.Errorf("reading the secret outside the domain was not caught: %v", err)
	}
	fmt.Fprintf(w, "outside the domain:  caught: %v\n", v)

	// With protection keys, another thread is shut out even while this one is inside.
	if signer.Mode() == arena.PKU {
		signer.Do(func() error {
			done := make(chan error)
			go func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				done <- guard.Catch(func() { leaked.Store(uint32(secret[0])) })
			}()
			fmt.Fprintf(w, "another thread, while this one is inside: caught: %v\n", <-done)
			return nil
		})
	}
	return nil
}
