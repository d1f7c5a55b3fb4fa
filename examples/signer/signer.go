// Command signer shows a TLS server whose Ed25519 private key lives only in an arena: a
// crypto.Signer enters a domain for each signature, and nothing else in the process can read the
// key. It starts an HTTPS server on loopback, makes one request to it, and prints the answer.
//
//	go run ./examples/signer
//
// What stays protected: the 64-byte private key (seed and public key) is written into the arena
// and read only inside the domain, in place (crypto/ed25519.Sign cannot be used: see ed25519.go).
// What does not: values derived from it while signing (the expanded key, the nonce) exist on the
// signing goroutine's stack during Sign — the ones in Sign's own frame are wiped, copies in the
// arithmetic's deeper frames are not; and NewSigner's seed argument is the caller's to wipe.
//
// It then does the same with an ECDSA P-256 key (ECDSASigner). That key is protected at rest
// only: crypto/ecdsa copies the scalar into the Go heap for every signature (see ECDSASigner).
// Prefer Ed25519 where the key must never leave the arena.
package main

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
)

// Signer is a crypto.Signer over an Ed25519 key held in an arena.
type Signer struct {
	key    []byte // ed25519.PrivateKeySize bytes of arena memory
	pub    ed25519.PublicKey
	domain *domain.Domain
	arena  *arena.Arena
}

var _ crypto.Signer = (*Signer)(nil)

// NewSigner copies a 32-byte Ed25519 seed into a new arena and derives the key there.
func NewSigner(seed []byte) (*Signer, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("signer: seed of %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	a, key, d, err := keyArena("signing-key", ed25519.PrivateKeySize)
	if err != nil {
		return nil, err
	}
	s := &Signer{key: key, domain: d, arena: a}
	d.Do(func() error {
		copy(key, seed)
		deriveInPlace(key) // not ed25519.NewKeyFromSeed: it leaves an expanded copy in the heap
		s.pub = append(ed25519.PublicKey(nil), key[ed25519.SeedSize:]...)
		return nil
	})
	return s, nil
}

// Public returns the public key.
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// Sign signs message (Ed25519 signs the message itself; opts must be crypto.Hash(0)) inside the
// key's domain.
func (s *Signer) Sign(_ io.Reader, message []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts.HashFunc() != crypto.Hash(0) {
		return nil, errors.New("signer: Ed25519 signs unhashed messages (use crypto.Hash(0))")
	}
	var sig [ed25519.SignatureSize]byte
	err := s.domain.Do(func() error {
		signInPlace(&sig, s.key, message) // reads the key in place (see ed25519.go)
		return nil
	})
	return sig[:], err
}

// Close wipes the key and releases its arena.
func (s *Signer) Close() error { return s.arena.Close() }

// keyArena makes an arena of the given name holding one n-byte key, and the domain that grants
// it; on error nothing is left behind.
func keyArena(name string, n int) (*arena.Arena, []byte, *domain.Domain, error) {
	a, err := arena.NewArena(arena.Name(name))
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := a.Alloc(n)
	if err != nil {
		a.Close()
		return nil, nil, nil, err
	}
	d, err := domain.New(domain.ReadWrite(a))
	if err != nil {
		a.Close()
		return nil, nil, nil, err
	}
	return a, key, d, nil
}
