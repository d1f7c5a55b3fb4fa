//go:build !linux

package keys

// sigset stands in for the signal mask where holdSignals does nothing: outside Linux the key's
// registers can reach a signal frame (see the package doc's Limitations).
type sigset uint64

func holdSignals() sigset { return 0 }

func releaseSignals(sigset) {}

func signalMask() sigset { return 0 }
