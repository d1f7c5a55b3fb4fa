//go:build !goexperiment.runtimesecret

package domain_test

// erasureBuilt is whether DoSecret erases in this build.
const erasureBuilt = false
