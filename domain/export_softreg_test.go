//go:build pkeyarena_softreg

package domain

import (
	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// NewSynthetic builds a PKU-mode domain over the given keys without arenas, for measuring the
// library's overhead against the software register (tag pkeyarena_softreg).
func NewSynthetic(acc pkru.Access, keys ...pkru.Key) *Domain {
	d := &Domain{name: "synthetic", mode: arena.PKU, fixed: true}
	for _, k := range keys {
		d.mask |= pkru.Mask(k)
		d.rights |= pkru.AllowAll.With(k, acc)
	}
	return d
}

// SoftRegister returns the software register's value.
func SoftRegister() pkru.Rights { return softWord }
