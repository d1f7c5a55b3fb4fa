package main

import (
	"crypto/ed25519"
	"crypto/sha512"
	"hash"

	"filippo.io/edwards25519"
)

// Why not crypto/ed25519.Sign: since Go 1.24 it caches the expanded key in a map keyed by a weak
// pointer to the key's storage (crypto/internal/fips140cache). With the key in arena memory,
// weak.Make aborts the program ("getWeakHandle on invalid pointer"): arena memory is not Go
// heap. With a heap copy, the expanded key (seed included) stays in the Go heap for as long as
// the copy lives. So this example signs in place, with the arithmetic of filippo.io/edwards25519
// (the upstream of Go's own crypto/internal/fips140/edwards25519), following RFC 8032 §5.1.6.

var zeros [sha512.BlockSize - 1]byte

// scrub overwrites what a SHA-512 digest holds of its input: after Reset, a write shorter than a
// block lands in the digest's block buffer, where the last input bytes were kept.
func scrub(h hash.Hash) {
	h.Reset()
	h.Write(zeros[:])
	h.Reset()
}

// signInPlace writes the Ed25519 signature of msg by key (seed || public key, arena memory, read
// inside a domain) into sig. Derived secrets live in this frame and in two digests, which are
// wiped before it returns; copies that the field arithmetic makes in deeper stack frames are not.
func signInPlace(sig *[ed25519.SignatureSize]byte, key, msg []byte) {
	seed, pub := key[:ed25519.SeedSize], key[ed25519.SeedSize:]
	var expanded, digest [sha512.Size]byte
	d := sha512.New()
	d.Write(seed)
	d.Sum(expanded[:0])
	scrub(d)

	var s, r, k, S edwards25519.Scalar
	if _, err := s.SetBytesWithClamping(expanded[:32]); err != nil {
		panic("signer: " + err.Error()) // 32 bytes always clamp
	}
	d.Write(expanded[32:]) // prefix
	d.Write(msg)
	d.Sum(digest[:0])
	scrub(d)
	if _, err := r.SetUniformBytes(digest[:]); err != nil {
		panic("signer: " + err.Error())
	}
	var R edwards25519.Point
	R.ScalarBaseMult(&r)
	rBytes := R.Bytes()

	d.Write(rBytes)
	d.Write(pub)
	d.Write(msg)
	d.Sum(digest[:0])
	d.Reset() // nothing secret in R || A || M
	if _, err := k.SetUniformBytes(digest[:]); err != nil {
		panic("signer: " + err.Error())
	}
	S.MultiplyAdd(&k, &s, &r)
	copy(sig[:32], rBytes)
	copy(sig[32:], S.Bytes())

	clear(expanded[:])
	clear(digest[:])
	s, r = edwards25519.Scalar{}, edwards25519.Scalar{}
}

// deriveInPlace completes key (seed || public key, arena memory, inside a domain) by computing
// the public key from the seed in key[:32], with the same wiping as signInPlace.
func deriveInPlace(key []byte) {
	var expanded [sha512.Size]byte
	d := sha512.New()
	d.Write(key[:ed25519.SeedSize])
	d.Sum(expanded[:0])
	scrub(d)
	var s edwards25519.Scalar
	if _, err := s.SetBytesWithClamping(expanded[:32]); err != nil {
		panic("signer: " + err.Error())
	}
	var A edwards25519.Point
	A.ScalarBaseMult(&s)
	copy(key[ed25519.SeedSize:], A.Bytes())
	clear(expanded[:])
	s = edwards25519.Scalar{}
}
