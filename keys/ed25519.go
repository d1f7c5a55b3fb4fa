package keys

import (
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// Why not crypto/ed25519.Sign: since Go 1.24 it caches the expanded key in a map keyed by a weak
// pointer to the key's storage (crypto/internal/fips140cache). With the key in arena memory,
// weak.Make aborts the program ("getWeakHandle on invalid pointer"): arena memory is not Go
// heap. With a heap copy, the expanded key (seed included) stays in the Go heap for as long as
// the copy lives. So this package signs in place, with the arithmetic of filippo.io/edwards25519
// (the upstream of Go's own crypto/internal/fips140/edwards25519), following RFC 8032 §5.1.6.
//
// Every hash is sha512.Sum512 over arena memory: its state lives on the stack (a streaming
// hash.Hash would be a heap object holding the seed, or the nonce prefix, in its buffer).

const (
	seedSize      = 32
	signatureSize = 64
)

// dom2Prefix starts the dom2 string that Ed25519ph and Ed25519ctx put in front of both hashes
// (RFC 8032 §5.1); plain Ed25519 has none.
const dom2Prefix = "SigEd25519 no Ed25519 collisions"

// ed25519Variant says which of RFC 8032's variants to sign: plain Ed25519 (dom false),
// Ed25519ctx (dom, ph 0) or Ed25519ph (dom, ph 1, msg is the SHA-512 of the message).
type ed25519Variant struct {
	dom     bool
	ph      byte
	context string
}

// putDom2 writes dom2(flag, context) at the start of b when the variant has one and returns
// its length.
func putDom2(b []byte, v ed25519Variant) int {
	if !v.dom {
		return 0
	}
	n := copy(b, dom2Prefix)
	b[n], b[n+1] = v.ph, byte(len(v.context))
	return n + 2 + copy(b[n+2:], v.context)
}

// scratchSize is the arena scratch signInPlace needs: dom2 || R || A || M, which is longer than
// dom2 || prefix || M.
func scratchSize(msg []byte, v ed25519Variant) int {
	n := 64 + len(msg)
	if v.dom {
		n += len(dom2Prefix) + 2 + len(v.context)
	}
	return n
}

// expand sets s to the clamped scalar of seed and returns SHA-512(seed), whose second half is
// the nonce prefix; the caller wipes it.
func expand(s *edwards25519.Scalar, seed []byte) [sha512.Size]byte {
	expanded := sha512.Sum512(seed)
	if _, err := s.SetBytesWithClamping(expanded[:32]); err != nil {
		panic("keys: " + err.Error()) // 32 bytes always clamp
	}
	return expanded
}

// signInPlace writes the Ed25519 signature of msg by key (seed || public key, arena memory, read
// inside a domain) into sig; scratch is arena memory of scratchSize bytes, left holding nothing
// secret. Derived secrets live in this frame and are wiped before it returns; what the
// arithmetic leaves in deeper stack frames is the caller's to wipe (scrubStack).
//
// The message is read once, first, before anything is derived from the key: a message the
// thread cannot read (another arena's memory) faults while no register, stack slot or scratch
// byte holds a secret, and the fault's signal frame records none.
func signInPlace(sig *[signatureSize]byte, key, msg []byte, v ed25519Variant, scratch []byte) {
	d := putDom2(scratch, v)
	m := copy(scratch[d+32:], msg) // dom2 || (prefix, below) || M
	seed, pub := key[:seedSize], key[seedSize:]
	var s, r, k, S edwards25519.Scalar
	expanded := expand(&s, seed)

	// r = SHA-512(dom2 || prefix || M)
	copy(scratch[d:], expanded[32:])
	clear(expanded[:])
	digest := sha512.Sum512(scratch[:d+32+m])
	if _, err := r.SetUniformBytes(digest[:]); err != nil {
		panic("keys: " + err.Error()) // 64 bytes always reduce
	}
	clear(digest[:])
	var R edwards25519.Point
	R.ScalarBaseMult(&r)
	var rBytes [32]byte
	copy(rBytes[:], R.Bytes())

	// k = SHA-512(dom2 || R || A || M): public. M moves up within scratch, R overwrites the
	// prefix.
	copy(scratch[d+64:], scratch[d+32:d+32+m])
	copy(scratch[d:], rBytes[:])
	copy(scratch[d+32:], pub)
	digest = sha512.Sum512(scratch[:d+64+m])
	if _, err := k.SetUniformBytes(digest[:]); err != nil {
		panic("keys: " + err.Error())
	}
	S.MultiplyAdd(&k, &s, &r)
	copy(sig[:32], rBytes[:])
	copy(sig[32:], S.Bytes())

	s, r = edwards25519.Scalar{}, edwards25519.Scalar{}
}

// deriveInPlace completes key (seed || public key, arena memory, inside a domain) by computing
// the public key from the seed in key[:32], with the same wiping as signInPlace.
func deriveInPlace(key []byte) {
	var s edwards25519.Scalar
	expanded := expand(&s, key[:seedSize])
	clear(expanded[:])
	var A edwards25519.Point
	A.ScalarBaseMult(&s)
	copy(key[seedSize:], A.Bytes())
	s = edwards25519.Scalar{}
}
