#include "textflag.h"

// The offset of the field m (the thread running the goroutine) in the runtime's descriptor of a
// goroutine, g: after stack (two words), stackguard0, stackguard1, _panic and _defer. The
// toolchain's linkers rely on it too.
#define g_m 48

// func current() uintptr
// The running goroutine's descriptor is in the register the assembler calls g.
TEXT ·current(SB), NOSPLIT, $0-8
	MOVD g, R0
	MOVD R0, ret+0(FP)
	RET

// func thread() uintptr
TEXT ·thread(SB), NOSPLIT, $0-8
	MOVD g_m(g), R0
	MOVD R0, ret+0(FP)
	RET

// func threadCheck() (m, g0m uintptr)
// The thread's descriptor, and the thread that its first field, its scheduling goroutine (g0),
// names: the same one when the layout is what thread assumes.
TEXT ·threadCheck(SB), NOSPLIT, $0-16
	MOVD g_m(g), R0
	MOVD R0, m+0(FP)
	MOVD 0(R0), R1
	MOVD g_m(R1), R1
	MOVD R1, g0m+8(FP)
	RET
