//go:build aix && ppc64

package pkru

import (
	"syscall"
	"unsafe"
)

// AIX user keys, called in libc the way golang.org/x/sys/unix calls it on AIX: each function is a
// dynamic import of libc.a(shr_64.o), called through the runtime's libc trampoline (syscall6 in
// ukeys_aix_ppc64.s jumps to it). No cgo. Constants from <sys/ukeys.h>.

//go:cgo_import_dynamic libc_ukey_enable ukey_enable "libc.a/shr_64.o"
//go:cgo_import_dynamic libc_ukey_protect ukey_protect "libc.a/shr_64.o"
//go:cgo_import_dynamic libc_ukeyset_init ukeyset_init "libc.a/shr_64.o"
//go:cgo_import_dynamic libc_ukeyset_add_key ukeyset_add_key "libc.a/shr_64.o"
//go:cgo_import_dynamic libc_ukeyset_ismember ukeyset_ismember "libc.a/shr_64.o"
//go:cgo_import_dynamic libc_ukeyset_activate ukeyset_activate "libc.a/shr_64.o"

//go:linkname libc_ukey_enable libc_ukey_enable
//go:linkname libc_ukey_protect libc_ukey_protect
//go:linkname libc_ukeyset_init libc_ukeyset_init
//go:linkname libc_ukeyset_add_key libc_ukeyset_add_key
//go:linkname libc_ukeyset_ismember libc_ukeyset_ismember
//go:linkname libc_ukeyset_activate libc_ukeyset_activate

type libcFunc uintptr

var (
	libc_ukey_enable,
	libc_ukey_protect,
	libc_ukeyset_init,
	libc_ukeyset_add_key,
	libc_ukeyset_ismember,
	libc_ukeyset_activate libcFunc
)

// syscall6 calls the libc function fn with nargs arguments. Implemented in ukeys_aix_ppc64.s.
func syscall6(fn, nargs, a1, a2, a3, a4, a5, a6 uintptr) (r1, r2 uintptr, err syscall.Errno)

// <sys/ukeys.h>
const (
	ukRead         = 0x1        // UK_READ
	ukWrite        = 0x2        // UK_WRITE
	ukaReplaceKeys = 1          // UKA_REPLACE_KEYS
	ukaGetKeys     = 4          // UKA_GET_KEYS
	uksetInvalid   = ^uint64(0) // UKSET_INVALID
)

func call(fn *libcFunc, nargs uintptr, a ...uintptr) (uintptr, syscall.Errno) {
	var args [6]uintptr
	copy(args[:], a)
	r, _, e := syscall6(uintptr(unsafe.Pointer(fn)), nargs, args[0], args[1], args[2], args[3], args[4], args[5])
	return r, e
}

// ukeyEnable is ukey_enable(): it makes the process user-key enabled and returns the number of
// user keys.
func ukeyEnable() (int, error) {
	r, e := call(&libc_ukey_enable, 0)
	if int32(r) == -1 {
		return 0, e
	}
	return int(int32(r)), nil
}

// ukeyProtect is ukey_protect(addr, size, key): it tags the pages of b with key.
func ukeyProtect(b []byte, k Key) error {
	if len(b) == 0 {
		return nil
	}
	if r, e := call(&libc_ukey_protect, 3, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(k)); int32(r) == -1 {
		return e
	}
	return nil
}

// ukeysetOf builds the user-key-set that grants what r grants (ukeyset_init, ukeyset_add_key).
func ukeysetOf(r Rights) (uint64, error) {
	var set uint64
	if v, e := call(&libc_ukeyset_init, 2, uintptr(unsafe.Pointer(&set)), 0); int32(v) == -1 {
		return 0, e
	}
	for k := Key(1); k < NumKeys; k++ {
		var flags uintptr
		switch r.Access(k) {
		case ReadOnly:
			flags = ukRead
		case ReadWrite:
			flags = ukRead | ukWrite
		default:
			continue
		}
		if v, e := call(&libc_ukeyset_add_key, 3, uintptr(unsafe.Pointer(&set)), uintptr(k), flags); int32(v) == -1 {
			return 0, e
		}
	}
	return set, nil
}

// rightsOf reads a user-key-set back as Rights (ukeyset_ismember).
func rightsOf(set uint64) Rights {
	r := DefaultRights
	for k := Key(1); k < NumKeys; k++ {
		read, _ := call(&libc_ukeyset_ismember, 3, uintptr(set), uintptr(k), ukRead)
		write, _ := call(&libc_ukeyset_ismember, 3, uintptr(set), uintptr(k), ukWrite)
		switch {
		case int32(read) == 1 && int32(write) == 1:
			r = r.With(k, ReadWrite)
		case int32(read) == 1:
			r = r.With(k, ReadOnly)
		}
	}
	return r
}

// ukeysetActivate is ukeyset_activate(set, command): it changes the calling thread's active
// user-key-set and returns the previous one.
func ukeysetActivate(set uint64, command int) (uint64, error) {
	r, e := call(&libc_ukeyset_activate, 2, uintptr(set), uintptr(command))
	if uint64(r) == uksetInvalid {
		return 0, e
	}
	return uint64(r), nil
}
