#include "textflag.h"

// func Aligned()
TEXT ·Aligned(SB), NOSPLIT, $0-0
	XORL CX, CX
	RDPKRU
	XORL CX, CX
	XORL DX, DX
	WRPKRU
	RET

// func Misaligned() uint64
// The immediate's little-endian bytes hold 0F 01 EF: jumping into the middle decodes WRPKRU.
TEXT ·Misaligned(SB), NOSPLIT, $0-8
	MOVQ $0x11EF010F22334455, AX
	MOVQ AX, ret+0(FP)
	RET

// func Disguised(), named as package pkru's.
TEXT github·com∕pkeyarena∕pkeyarena∕pkru·disguisedWrite(SB), NOSPLIT, $0-0
	XORL CX, CX
	RDPKRU
	XORL CX, CX
	XORL DX, DX
	WRPKRU
	RET
