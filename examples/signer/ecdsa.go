package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
)

// ECDSASigner is a crypto.Signer over a P-256 key whose scalar is held in an arena.
//
// What it protects, and what it cannot: between signatures the scalar exists only in the arena.
// During each Sign, crypto/ecdsa needs an *ecdsa.PrivateKey, whose scalar is a big.Int in the Go
// heap, and its FIPS module copies the scalar again (into its own key and into a buffer) before
// signing. The big.Int is wiped when Sign returns; the module's copies are unreachable from here
// and stay in freed heap memory until the garbage collector reuses it. So a heap over-read or a
// core dump taken during or soon after a signature can find the scalar. Go offers no ECDSA that
// signs with a caller-held scalar in place; writing one would mean writing constant-time P-256
// arithmetic, which a library that guards keys must not improvise. Where the key must never touch
// the heap, use Ed25519 (Signer), which signs in place.
type ECDSASigner struct {
	key    []byte // the 32-byte big-endian scalar, arena memory
	pub    *ecdsa.PublicKey
	domain *domain.Domain
	arena  *arena.Arena
}

var _ crypto.Signer = (*ECDSASigner)(nil)

// p256Size is the length of a P-256 scalar.
const p256Size = 32

// NewECDSASigner creates a P-256 key inside a new arena: the scalar is drawn from crypto/rand
// straight into arena memory (rejecting the rare values outside [1, n-1]).
func NewECDSASigner() (*ECDSASigner, error) {
	return newECDSASigner(func(key []byte) error {
		_, err := rand.Read(key)
		return err
	})
}

// NewECDSASignerFromScalar copies a 32-byte big-endian P-256 scalar into a new arena. The caller
// wipes its own copy.
func NewECDSASignerFromScalar(scalar []byte) (*ECDSASigner, error) {
	if len(scalar) != p256Size {
		return nil, fmt.Errorf("signer: P-256 scalar of %d bytes, want %d", len(scalar), p256Size)
	}
	tries := 0
	return newECDSASigner(func(key []byte) error {
		if tries++; tries > 1 {
			return errors.New("signer: the scalar is not a valid P-256 private key")
		}
		copy(key, scalar)
		return nil
	})
}

// newECDSASigner fills the arena-held scalar with fill until it is a valid key.
func newECDSASigner(fill func(key []byte) error) (*ECDSASigner, error) {
	a, key, d, err := keyArena("ecdsa-key", p256Size)
	if err != nil {
		return nil, err
	}
	s := &ECDSASigner{key: key, domain: d, arena: a}
	err = d.Do(func() error {
		for {
			if err := fill(key); err != nil {
				return err
			}
			priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), key)
			if err != nil {
				continue // zero or not below the group order: draw again (about 2^-32 odds)
			}
			s.pub = &priv.PublicKey
			wipeScalar(priv)
			return nil
		}
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	return s, nil
}

// Public returns the public key (*ecdsa.PublicKey).
func (s *ECDSASigner) Public() crypto.PublicKey { return s.pub }

// Sign signs digest, the output of opts.HashFunc(), inside the key's domain and returns an ASN.1
// signature. With random nil the signature is deterministic (RFC 6979); otherwise it is hedged
// (crypto/ecdsa mixes in fresh randomness).
func (s *ECDSASigner) Sign(random io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	var sig []byte
	err := s.domain.Do(func() error {
		priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), s.key)
		if err != nil {
			return err
		}
		defer wipeScalar(priv)
		sig, err = priv.Sign(random, digest, opts)
		return err
	})
	return sig, err
}

// Close wipes the key and releases its arena.
func (s *ECDSASigner) Close() error { return s.arena.Close() }

// KeyBytes returns the arena slice holding the scalar, for tests that probe its protection.
func (s *ECDSASigner) KeyBytes() []byte { return s.key }

// wipeScalar zeroes the words of a transient key's big.Int scalar (all this code can reach).
// D is deprecated for computing with; it is still the only handle on this heap copy of the key.
func wipeScalar(priv *ecdsa.PrivateKey) {
	//lint:ignore SA1019 wiping the scalar's heap copy needs the field itself
	d := priv.D
	clear(d.Bits())
	d.SetInt64(0)
}
