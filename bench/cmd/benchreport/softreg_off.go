//go:build !pkeyarena_softreg

package main

// softregBuild reports whether this build has the pkeyarena_softreg tag (softreg_on.go).
const softregBuild = false
