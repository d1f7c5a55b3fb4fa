//go:build linux

package unix

import (
	"syscall"

	linux "golang.org/x/sys/unix"
)

// Errors and constants used by the library.
const (
	EFAULT = linux.EFAULT
	EINVAL = linux.EINVAL
	ENOSPC = linux.ENOSPC
	ENOSYS = linux.ENOSYS
	ENOMEM = linux.ENOMEM
	EPERM  = linux.EPERM
	EAGAIN = linux.EAGAIN

	PROT_NONE  = linux.PROT_NONE
	PROT_READ  = linux.PROT_READ
	PROT_WRITE = linux.PROT_WRITE

	MAP_PRIVATE   = linux.MAP_PRIVATE
	MAP_ANONYMOUS = linux.MAP_ANONYMOUS
	MAP_SHARED    = linux.MAP_SHARED
	MAP_NORESERVE = linux.MAP_NORESERVE

	MADV_DONTDUMP   = linux.MADV_DONTDUMP
	MADV_WIPEONFORK = linux.MADV_WIPEONFORK
	MADV_DONTFORK   = linux.MADV_DONTFORK

	MADV_DONTNEED        = linux.MADV_DONTNEED
	MADV_DONTNEED_LOCKED = linux.MADV_DONTNEED_LOCKED

	O_RDWR    = linux.O_RDWR
	O_CLOEXEC = linux.O_CLOEXEC

	RLIMIT_MEMLOCK = linux.RLIMIT_MEMLOCK
	RLIMIT_CORE    = linux.RLIMIT_CORE
	RLIMIT_AS      = linux.RLIMIT_AS

	SIG_BLOCK   = linux.SIG_BLOCK
	SIG_SETMASK = linux.SIG_SETMASK

	PR_SET_DUMPABLE = linux.PR_SET_DUMPABLE
	PR_GET_DUMPABLE = linux.PR_GET_DUMPABLE
)

type (
	Errno       = syscall.Errno
	Rlimit      = linux.Rlimit
	Iovec       = linux.Iovec
	RemoteIovec = linux.RemoteIovec
	Sigset_t    = linux.Sigset_t
)

var (
	Mmap      = linux.Mmap
	Munmap    = linux.Munmap
	Mprotect  = linux.Mprotect
	Madvise   = linux.Madvise
	Mlock     = linux.Mlock
	Munlock   = linux.Munlock
	Getrlimit = linux.Getrlimit
	Setrlimit = linux.Setrlimit
	Ftruncate = linux.Ftruncate
	Close     = linux.Close
	Open      = linux.Open
	Pread     = linux.Pread
	Pwrite    = linux.Pwrite
	Getpid    = linux.Getpid

	ProcessVMReadv = linux.ProcessVMReadv
	Pipe2          = linux.Pipe2
	Read           = linux.Read
	Write          = linux.Write
	Gettid         = linux.Gettid
	Getpagesize    = linux.Getpagesize
	PrctlRetInt    = linux.PrctlRetInt
	Prctl          = linux.Prctl
	PthreadSigmask = linux.PthreadSigmask
)

// Used by tests that fork.
var Wait4 = linux.Wait4

type WaitStatus = linux.WaitStatus
