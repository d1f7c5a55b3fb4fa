//go:build goexperiment.runtimesecret

package domain

import (
	"context"
	"runtime/secret"
	"sync"
)

// DoSecret is Do, run inside runtime/secret.Do when the program is built with
// GOEXPERIMENT=runtimesecret on linux/amd64 or linux/arm64 (SecretErasureAvailable): fn runs
// inside the domain, and copies of protected bytes that fn leaves outside the arenas are erased.
// The registers and goroutine stack fn used are erased before DoSecret returns; heap objects
// allocated inside are erased when the garbage collector frees them.
//
// secret.Do is the outer call: Enter, fn and Exit all run in secret mode, so registers and stack
// slots holding protected bytes are covered from the moment the domain opens until it is closed,
// and the final erasure runs after Exit, on memory no domain protects. The register write of
// Enter and Exit is untouched by it: secret.Do clears general-purpose and vector registers,
// never the rights register.
//
// Without the experiment, or on other platforms, DoSecret is Do and nothing outside the arenas is
// erased: what fn copies into registers, its stack frames (they stay in the goroutine stack until
// overwritten, and move with it when it grows), heap objects it allocates (until their memory
// is reused) and signal stacks keep the bytes.
//
// Either way: memory fn did not allocate inside (globals, the caller's buffers, arena memory)
// is not erased, nor is anything goroutines started by fn do. With the experiment, heap objects
// are erased only once unreachable and collected; a panic in fn goes on after Exit and the
// erasure, re-raised by secret.Do (its traceback no longer shows fn's frames, and the panic
// value is not erased while reachable); after runtime.Goexit in fn the stack is erased when the
// goroutine ends. DoSecret nests, also inside secret.Do: each level erases when it returns.
func (d *Domain) DoSecret(fn func() error) error {
	var err error
	secret.Do(func() { err = d.Do(fn) })
	return err
}

// DoSecretContext is DoSecret that enters with EnterContext, as DoContext does: it returns the
// error instead of panicking when no key can be had before ctx is done or an arena is closed.
func (d *Domain) DoSecretContext(ctx context.Context, fn func() error) error {
	var err error
	secret.Do(func() { err = d.DoContext(ctx, fn) })
	return err
}

// SecretErasure reports whether the calling goroutine runs inside DoSecret (or any
// runtime/secret.Do) on a build and platform where the runtime erases: called inside fn, it
// tells whether fn's temporaries will be erased. It is false in goroutines fn starts, and always
// false without GOEXPERIMENT=runtimesecret.
func SecretErasure() bool { return secret.Enabled() }

// SecretErasureAvailable reports whether DoSecret erases in this program: built with
// GOEXPERIMENT=runtimesecret, on a platform where runtime/secret does (linux/amd64,
// linux/arm64). The runtime is asked once.
func SecretErasureAvailable() bool { return erasureAvailable() }

var erasureAvailable = sync.OnceValue(func() (ok bool) {
	secret.Do(func() { ok = secret.Enabled() })
	return ok
})
