package pkru_test

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/pkeyarena/pkeyarena/pkru"
)

func ExampleRights_With() {
	r := pkru.DefaultRights.With(1, pkru.ReadWrite).With(2, pkru.ReadOnly)
	fmt.Println(r)
	fmt.Println(r.Access(2))
	// Output:
	// 0x55555560 [0-1:rw 2:ro 3-15:none]
	// ro
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

func ExamplePlatformsMarkdown() {
	table := pkru.PlatformsMarkdown() // what docs/platforms.md holds
	fmt.Println(table[:11])
	// Output: | platform
}
