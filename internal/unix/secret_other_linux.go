//go:build linux && !(amd64 || arm64 || riscv64)

package unix

// MemfdSecret reports ENOSYS where x/sys has no memfd_secret for this architecture.
func MemfdSecret(flags int) (int, error) { return -1, ENOSYS }
