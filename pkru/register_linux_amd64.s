#include "textflag.h"

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func rdpkru() uint32
// RDPKRU requires ECX=0; it returns PKRU in EAX and zeroes EDX.
TEXT ·rdpkru(SB), NOSPLIT, $0-4
	XORL CX, CX
	RDPKRU
	MOVL AX, ret+0(FP)
	RET

// func wrpkru(r uint32)
// WRPKRU requires ECX=0 and EDX=0; it writes EAX to PKRU.
TEXT ·wrpkru(SB), NOSPLIT, $0-4
	MOVL r+0(FP), AX
	XORL CX, CX
	XORL DX, DX
	WRPKRU
	RET
