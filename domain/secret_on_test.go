//go:build goexperiment.runtimesecret

package domain_test

import "runtime"

// erasureBuilt is whether DoSecret erases in this build: where runtime/secret does.
const erasureBuilt = runtime.GOOS == "linux" &&
	(runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64")
