//go:build pkeyarena_softreg

package domain

import "github.com/pkeyarena/pkeyarena/pkru"

// softWord stands in for the rights register in benchmark builds (tag pkeyarena_softreg).
// It is one word for the whole process, not per thread: only for measuring overhead.
//
// It differs from arena's per-goroutine words (arena/register_soft.go) on purpose: Exit checks
// that the register holds what Enter wrote, and a word chosen by stack address would change when
// the runtime moves the goroutine's stack between the two, making Exit panic. arena has no such
// check and needs unshared words for its parallel benchmark.
var softWord = pkru.DefaultRights

func readRights() pkru.Rights   { return softWord }
func writeRights(r pkru.Rights) { softWord = r }
