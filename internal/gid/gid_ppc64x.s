//go:build ppc64 || ppc64le

#include "textflag.h"

// func current() unsafe.Pointer
// The running goroutine's descriptor is in the register the assembler calls g.
TEXT ·current(SB), NOSPLIT, $0-8
	MOVD g, R3
	MOVD R3, ret+0(FP)
	RET
