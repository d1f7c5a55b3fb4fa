//go:build pkeyarena_softreg

package domain

import "github.com/pkeyarena/pkeyarena/pkru"

// softRegister stands in for the rights register in benchmark builds (tag pkeyarena_softreg).
// It is one word for the whole process, not per thread: only for measuring overhead.
var softRegister = pkru.DefaultRights

func readRights() pkru.Rights   { return softRegister }
func writeRights(r pkru.Rights) { softRegister = r }
