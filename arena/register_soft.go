//go:build pkeyarena_softreg

package arena

import "github.com/pkeyarena/pkeyarena/pkru"

// Benchmark builds only (go test -tags pkeyarena_softreg): arenas take the PKU-mode code paths
// with a memory word in place of the rights register and a made-up key, and their pages are
// never tagged, so NOTHING IS PROTECTED. This measures the library's own cost on the PKU path
// on machines without protection keys; add the register instructions' cycles for hardware.
const softRegister = true

// softKey is the made-up key; it is never allocated or used to tag pages.
const softKey pkru.Key = 15

// softWords model per-thread registers: one padded word per goroutine (by stack address), so that
// goroutines on different cores do not share a cache line, as real registers do not. A goroutine
// whose stack moves between a read and a write uses another word; harmless here (nothing checks
// the value), which is why domain, whose Exit does check, keeps one stable word instead.
var softWords [64]struct {
	r pkru.Rights
	_ [60]byte
}

func softWord() *pkru.Rights { return &softWords[(stackHint()>>13)&63].r }

func readRights() pkru.Rights   { return *softWord() }
func writeRights(r pkru.Rights) { *softWord() = r }
