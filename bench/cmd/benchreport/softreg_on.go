//go:build pkeyarena_softreg

package main

// softregBuild: built with -tags pkeyarena_softreg, as are the benchmarks benchreport runs then.
// The library's arenas say PKU in this build, and nothing is protected.
const softregBuild = true
