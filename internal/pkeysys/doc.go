// Package pkeysys makes the protection-key system calls that golang.org/x/sys/unix knows only
// as numbers: pkey_alloc, pkey_free and pkey_mprotect (pkeys(7)). Package pkru is its one user;
// internal/unix stays a list of re-exports.
package pkeysys
