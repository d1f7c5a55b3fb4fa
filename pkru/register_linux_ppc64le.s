#include "textflag.h"

// func readAMR() uint64
TEXT ·readAMR(SB), NOSPLIT, $0-8
	MOVD	SPR(13), R3
	MOVD	R3, ret+0(FP)
	RET

// func writeAMR(v uint64)
// The isync makes the new rights apply to every later instruction (Power ISA: context
// synchronisation after mtspr AMR).
TEXT ·writeAMR(SB), NOSPLIT, $0-8
	MOVD	v+0(FP), R3
	MOVD	R3, SPR(13)
	ISYNC
	RET
