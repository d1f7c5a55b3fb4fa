//go:build !pkeyarena_softreg

package domain

import "github.com/pkeyarena/pkeyarena/pkru"

// The rights register. Built with the tag pkeyarena_softreg, a memory word replaces it
// (register_soft.go), so that the library's own overhead can be benchmarked on machines without
// protection keys.

func readRights() pkru.Rights   { return pkru.Read() }
func writeRights(r pkru.Rights) { pkru.Write(r) }
