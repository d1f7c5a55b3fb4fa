//go:build pkeyarena_softreg

package domain_test

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// BenchmarkEnterExitSoftware measures everything Enter+Exit do on the PKU path except the two
// register instructions, which a memory word replaces. Run it with:
//
//	go test -tags pkeyarena_softreg -run '^$' -bench EnterExitSoftware ./domain/
//
// On hardware, add two WRPKRU (and one RDPKRU, one more for Exit's check) at their cycle cost.
func BenchmarkEnterExitSoftware(b *testing.B) {
	d := domain.NewSynthetic(pkru.ReadWrite, 1, 2)
	b.ReportAllocs()
	for b.Loop() {
		d.Enter().Exit()
	}
}

func BenchmarkDoSoftware(b *testing.B) {
	d := domain.NewSynthetic(pkru.ReadWrite, 1)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		d.Do(func() error { n++; return nil })
	}
}

// The software register follows the same rules as the real one.
func TestSoftwareRegister(t *testing.T) {
	d := domain.NewSynthetic(pkru.ReadOnly, 3)
	before := domain.SoftRegister()
	tok := d.Enter()
	if got := domain.SoftRegister().Access(3); got != pkru.ReadOnly {
		t.Errorf("inside: key 3 is %v", got)
	}
	inner := domain.NewSynthetic(pkru.ReadWrite, 4).Enter()
	inner.Exit()
	tok.Exit()
	if domain.SoftRegister() != before {
		t.Errorf("after Exit %v, before %v", domain.SoftRegister(), before)
	}
}
