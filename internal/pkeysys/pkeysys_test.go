//go:build linux

package pkeysys

import (
	"errors"
	"syscall"
	"testing"
)

// The wrappers return the kernel's answer: a key, or the errno (no key support here is ENOSYS,
// EINVAL or ENOSPC, depending on the CPU and kernel); freeing a key that was never allocated
// fails with EINVAL.
func TestSyscalls(t *testing.T) {
	k, err := PkeyAlloc(0, PKEY_DISABLE_ACCESS)
	if err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			t.Fatalf("PkeyAlloc: %v is not an errno", err)
		}
		t.Logf("no keys here: %v", err)
	} else {
		if k <= 0 || k >= 32 {
			t.Fatalf("PkeyAlloc = %d", k)
		}
		if err := PkeyFree(k); err != nil {
			t.Fatalf("PkeyFree(%d): %v", k, err)
		}
	}
	if err := PkeyFree(31); !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOSYS) {
		t.Errorf("PkeyFree of a key never allocated: %v", err)
	}
	if err := PkeyMprotect(nil, 0, 0); err != nil {
		t.Errorf("PkeyMprotect of nothing: %v", err)
	}
}
