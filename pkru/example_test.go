package pkru_test

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// Rights values are built key by key; the bit positions depend on the architecture (x86-64
// PKRU, POWER AMR), so compare them with Access and Mask rather than with constants.
func ExampleRights_With() {
	r := pkru.DefaultRights.With(5, pkru.ReadWrite).With(6, pkru.ReadOnly)
	fmt.Println(r.Access(0), r.Access(5), r.Access(6), r.Access(7))
	// Output:
	// rw rw ro none
}

func ExampleSupported() {
	if err := pkru.Supported(); errors.Is(err, pkru.ErrNotSupported) {
		fmt.Println("falling back to mprotect:", err)
		return
	}
	fmt.Println("per-thread protection keys available")
}

func ExampleAlloc() {
	k, err := pkru.Alloc(pkru.NoAccess) // denied to every thread
	if err != nil {
		fmt.Println(err)
		return
	}
	defer k.Free() // after unmapping or retagging the key's pages

	// Tag pages with pkru.Protect(pages, PROT_READ|PROT_WRITE, k), then open them for this
	// thread only:
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	saved := pkru.Read()
	pkru.Write(saved.With(k, pkru.ReadWrite))
	// ... use the pages ...
	pkru.Write(saved)
}

func ExampleKey_Free() {
	if err := pkru.Key(0).Free(); errors.Is(err, pkru.ErrInvalidKey) {
		fmt.Println("key 0 belongs to all memory and cannot be freed")
	}
	// Output: key 0 belongs to all memory and cannot be freed
}

func ExampleThisPlatform() {
	p := pkru.ThisPlatform()
	fmt.Printf("%s/%s: per-thread isolation possible: %v\n", p.GOOS, p.GOARCH, p.PerThread)
}

// Read and Write work on the calling thread's register: hold the thread for as long as the
// value matters, and restore what was there.
func ExampleRead() {
	if pkru.Supported() != nil {
		return // no register to read: Read would panic
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fmt.Println("this thread's rights:", pkru.Read()) // e.g. 0x55555554 [0:rw 1-15:none]
}

func ExampleWrite() {
	k, err := pkru.Alloc(pkru.NoAccess)
	if err != nil {
		return
	}
	defer k.Free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	saved := pkru.Read()
	defer pkru.Write(saved)
	pkru.Write(saved.With(k, pkru.ReadOnly)) // this thread may now read k's pages, not write them
}

// Mask compares only the keys one owns: other code on the thread may change its own keys.
func ExampleMask() {
	const mine pkru.Key = 3
	before := pkru.DefaultRights.With(mine, pkru.ReadWrite)
	after := before.With(7, pkru.ReadOnly) // somebody else's key changed
	fmt.Println(before == after, before&pkru.Mask(mine) == after&pkru.Mask(mine))
	// Output: false true
}

// The whole cycle: detect, allocate a key denied to every thread, and open it for this thread
// alone while the goroutine holds it. Pages are tagged with Protect (see its example).
func Example() {
	if err := pkru.Supported(); err != nil {
		fmt.Println("no protection keys; use mprotect:", err)
		return
	}
	k, err := pkru.Alloc(pkru.NoAccess)
	if err != nil {
		fmt.Println(err) // errors.Is(err, pkru.ErrNoKeys) when other code holds them all
		return
	}
	defer k.Free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	saved := pkru.Read()
	pkru.Write(saved.With(k, pkru.ReadWrite))
	fmt.Println("open here:", pkru.Read().Access(k), "- other threads still fault")
	pkru.Write(saved)
}
