//go:build race

package domain

// raceBuild: the race detector is on (see orderForRace).
const raceBuild = true
