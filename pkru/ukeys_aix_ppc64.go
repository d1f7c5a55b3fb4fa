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

// maxArgs is how many arguments syscall6 passes.
const maxArgs = 6

// <sys/ukeys.h>
const (
	ukRead         = 0x1        // UK_READ
	ukWrite        = 0x2        // UK_WRITE
	ukaReplaceKeys = 1          // UKA_REPLACE_KEYS
	ukaGetKeys     = 4          // UKA_GET_KEYS
	uksetInvalid   = ^uint64(0) // UKSET_INVALID
	ukeysetNoFlags = 0          // ukeyset_init's flags argument: none
)

// Return values of the libc calls: libcFailed (errno says why), and ukeyset_ismember's answer
// for a member.
const (
	libcFailed = -1
	isMember   = 1
)

// call calls fn with the arguments a (at most maxArgs).
func call(fn *libcFunc, a ...uintptr) (uintptr, syscall.Errno) {
	if len(a) > maxArgs {
		panic("pkru: a libc call with more arguments than syscall6 passes")
	}
	var args [maxArgs]uintptr
	copy(args[:], a)
	r, _, e := syscall6(uintptr(unsafe.Pointer(fn)), uintptr(len(a)),
		args[0], args[1], args[2], args[3], args[4], args[5])
	return r, e
}

// ukeyEnable is ukey_enable(): it makes the process user-key enabled and returns the number of
// user keys.
func ukeyEnable() (int, error) {
	r, e := call(&libc_ukey_enable)
	if int32(r) == libcFailed {
		return 0, e
	}
	return int(int32(r)), nil
}

// ukeyProtect is ukey_protect(addr, size, key): it tags the pages of b with key.
func ukeyProtect(b []byte, k Key) error {
	if len(b) == 0 {
		return nil
	}
	r, e := call(&libc_ukey_protect, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(k))
	if int32(r) == libcFailed {
		return e
	}
	return nil
}

// ukeysetOf builds the user-key-set that grants what r grants (ukeyset_init, ukeyset_add_key).
func ukeysetOf(r Rights) (uint64, error) {
	var set uint64
	v, e := call(&libc_ukeyset_init, uintptr(unsafe.Pointer(&set)), ukeysetNoFlags)
	if int32(v) == libcFailed {
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
		v, e := call(&libc_ukeyset_add_key, uintptr(unsafe.Pointer(&set)), uintptr(k), flags)
		if int32(v) == libcFailed {
			return 0, e
		}
	}
	return set, nil
}

// rightsOf reads a user-key-set back as Rights (ukeyset_ismember).
func rightsOf(set uint64) Rights {
	r := DefaultRights
	for k := Key(1); k < NumKeys; k++ {
		read, _ := call(&libc_ukeyset_ismember, uintptr(set), uintptr(k), ukRead)
		write, _ := call(&libc_ukeyset_ismember, uintptr(set), uintptr(k), ukWrite)
		switch {
		case int32(read) == isMember && int32(write) == isMember:
			r = r.With(k, ReadWrite)
		case int32(read) == isMember:
			r = r.With(k, ReadOnly)
		}
	}
	return r
}

// ukeysetActivate is ukeyset_activate(set, command): it changes the calling thread's active
// user-key-set and returns the previous one.
func ukeysetActivate(set uint64, command int) (uint64, error) {
	r, e := call(&libc_ukeyset_activate, uintptr(set), uintptr(command))
	if uint64(r) == uksetInvalid {
		return 0, e
	}
	return uint64(r), nil
}
