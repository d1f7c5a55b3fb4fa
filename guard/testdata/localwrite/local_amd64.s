#include "textflag.h"

// A WRPKRU of 0 (every key read-write) in a file-local function named as pkru's.
TEXT github·com∕pkeyarena∕pkeyarena∕pkru·wrpkru<>(SB), NOSPLIT, $0-0
	XORL AX, AX
	XORL CX, CX
	XORL DX, DX
	WRPKRU
	RET

// func write()
TEXT ·write(SB), NOSPLIT, $0-0
	CALL github·com∕pkeyarena∕pkeyarena∕pkru·wrpkru<>(SB)
	RET
