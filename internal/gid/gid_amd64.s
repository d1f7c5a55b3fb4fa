#include "textflag.h"

// The offset of the field m (the thread running the goroutine) in the runtime's descriptor of a
// goroutine, g: after stack (two words), stackguard0, stackguard1, _panic and _defer. The
// toolchain's linkers rely on it too.
#define g_m 48

// func current() uintptr
// ABI0 code finds the running goroutine's descriptor at the thread-local slot (TLS).
TEXT ·current(SB), NOSPLIT, $0-8
	MOVQ (TLS), AX
	MOVQ AX, ret+0(FP)
	RET

// func thread() uintptr
TEXT ·thread(SB), NOSPLIT, $0-8
	MOVQ (TLS), AX
	MOVQ g_m(AX), AX
	MOVQ AX, ret+0(FP)
	RET

// func threadCheck() (m, g0m uintptr)
// The thread's descriptor, and the thread that its first field, its scheduling goroutine (g0),
// names: the same one when the layout is what thread assumes.
TEXT ·threadCheck(SB), NOSPLIT, $0-16
	MOVQ (TLS), AX
	MOVQ g_m(AX), AX
	MOVQ AX, m+0(FP)
	MOVQ 0(AX), BX
	MOVQ g_m(BX), BX
	MOVQ BX, g0m+8(FP)
	RET
