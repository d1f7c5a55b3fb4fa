// Package unix is pkeyarena's one door to the kernel: it re-exports the names of
// golang.org/x/sys/unix the project uses, the same names on every system (outside Linux, the
// subset the mprotect fallback needs, over github.com/awnumar/memcall). No package of the
// library imports x/sys/unix directly, so every system call it makes can be found here or in
// internal/pkeysys, which makes the protection-key calls x/sys knows only by number. (The VM
// runner, a tool, makes its guest init's calls itself.)
package unix
