//go:build aix && ppc64

#include "textflag.h"

// libc calls on AIX go through the runtime (runtime/syscall_aix.go), as in golang.org/x/sys/unix.

TEXT ·syscall6(SB),NOSPLIT,$0-88
	JMP	syscall·syscall6(SB)
