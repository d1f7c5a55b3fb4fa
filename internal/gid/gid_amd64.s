#include "textflag.h"

// func current() unsafe.Pointer
// ABI0 code finds the running goroutine's descriptor at the thread-local slot (TLS).
TEXT ·current(SB), NOSPLIT, $0-8
	MOVQ (TLS), AX
	MOVQ AX, ret+0(FP)
	RET
