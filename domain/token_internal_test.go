package domain

import (
	"reflect"
	"testing"
	"unsafe"
)

// A Token the compiler can keep in registers: at most four fields of at most four words in
// all (the compiler's limit for values it does not copy through memory). A fifth field makes
// every Enter+Exit copy the Token through the stack.
//
// Only where pointers have 64 bits: the 32-bit platforms have no protection keys, and next to
// Mprotect mode's system calls the copy costs nothing.
func TestTokenFitsInRegisters(t *testing.T) {
	typ := reflect.TypeFor[Token]()
	if n, size := typ.NumField(), typ.Size(); unsafe.Sizeof(uintptr(0)) == 8 &&
		(n > 4 || size > 4*unsafe.Sizeof(uintptr(0))) {
		t.Errorf("Token has %d fields in %d bytes; at most 4 in %d", n, size,
			4*unsafe.Sizeof(uintptr(0)))
	}
	if size := unsafe.Sizeof(nestEntry{}); unsafe.Sizeof(uintptr(0)) == 8 && size != 128 {
		t.Errorf("a nesting entry is %d bytes, not the 128 of its padding", size)
	}
}
