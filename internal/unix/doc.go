// Package unix is pkeyarena's one door to the kernel: it re-exports the few names of
// golang.org/x/sys/unix the project uses and adds wrappers x/sys lacks (pkey_alloc, pkey_free,
// pkey_mprotect, which x/sys knows only as syscall numbers). No other package of the module imports
// x/sys/unix directly, so every system call the library makes can be found here.
package unix
