package pkru

import (
	"strings"
	"testing"
)

func TestReadWritePanicWithoutRegister(t *testing.T) {
	if hasRegister {
		t.Skip("this CPU has an enabled PKRU")
	}
	tests := map[string]func(){
		"Read":  func() { Read() },
		"Write": func() { Write(DefaultRights) },
	}
	for name, fn := range tests {
		func() {
			defer func() {
				r, _ := recover().(string)
				if !strings.Contains(r, "check pkru.Supported") {
					t.Errorf("%s without a register: panic %q, want a clear message", name, r)
				}
			}()
			fn()
		}()
	}
}

// The CPUID bits must agree with each other: an OS cannot enable what the CPU lacks.
func TestOSPKEImpliesPKU(t *testing.T) {
	if hasRegister && !cpuPKU {
		t.Error("CPUID says OSPKE without PKU")
	}
}
