//go:build !pkeyarena_softreg

package arena

import "github.com/pkeyarena/pkeyarena/pkru"

// softRegister is true only in benchmark builds (tag pkeyarena_softreg): see register_soft.go.
const softRegister = false

// softKey is only used in benchmark builds.
const softKey pkru.Key = 0

func readRights() pkru.Rights   { return pkru.Read() }
func writeRights(r pkru.Rights) { pkru.Write(r) }
