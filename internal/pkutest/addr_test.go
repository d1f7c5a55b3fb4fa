package pkutest

import "unsafe"

func pageAddr(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
