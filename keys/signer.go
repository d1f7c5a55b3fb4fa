package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha512"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/pkeyarena/pkeyarena/arena"
)

// Signer is a crypto.Signer whose private key lives only in arena memory, readable only inside
// its domain, which Sign enters for each signature. Close wipes the key and frees it. A Signer
// is safe for concurrent use; Sign and Close may race (Close waits for running signatures).
type Signer struct {
	alg  Algorithm
	pub  crypto.PublicKey
	home *home

	mu      sync.RWMutex
	key     keyMem // arena: seed || public key (Ed25519) or the scalar (ECDSA); none once closed
	cleanup runtime.Cleanup
}

var (
	_ crypto.Signer = (*Signer)(nil)
	_ io.Closer     = (*Signer)(nil)
)

// newSigner returns a Signer over key, which is complete (arena memory in h's arena).
func newSigner(h *home, alg Algorithm, key []byte, pub crypto.PublicKey) *Signer {
	s := &Signer{alg: alg, pub: pub, home: h, key: memOf(key)}
	if !h.own { // an arena of its own has its own backstop
		s.cleanup = runtime.AddCleanup(s, func(k keyRef) { k.arena.Free(k.key) }, keyRef{h.arena, key})
	}
	return s
}

// keyRef is what the cleanup of a Signer dropped without Close needs: Free queues the bytes for
// the arena's batched wipe.
type keyRef struct {
	arena *arena.Arena
	key   []byte
}

// Algorithm reports the kind of key.
func (s *Signer) Algorithm() Algorithm { return s.alg }

// Public returns the public key: an ed25519.PublicKey (a copy) or an *ecdsa.PublicKey. It stays
// usable after Close.
func (s *Signer) Public() crypto.PublicKey {
	if pub, ok := s.pub.(ed25519.PublicKey); ok {
		return append(ed25519.PublicKey(nil), pub...)
	}
	return s.pub
}

// Sign signs inside the key's domain, reading the key where it lies in the arena.
//
// Ed25519 signs the message itself: opts.HashFunc() must be zero (nil opts counts as zero),
// or crypto.SHA512 for Ed25519ph with digest the SHA-512 of the message; an *ed25519.Options
// with a Context selects Ed25519ctx or adds the context to Ed25519ph. random is not used. The
// key is read in place: no byte of it, and none of the scalar and nonce derived from it, is
// copied into the Go heap (the hashes run over arena scratch memory as long as the message,
// which Sign allocates in the key's arena and wipes: a service that signs what clients send
// should bound its length), and the stack the signature used is wiped before Sign returns.
// The message is read inside the key's domain, which grants only the key's arena: in PKU mode a
// message in another arena's memory faults there (copy it out first). The fault comes before
// anything is derived from the key, so that a caller that recovers it (guard.Catch) is left no
// secret in a signal frame, on the stack or in arena scratch.
//
// ECDSA signs digest, which must be opts.HashFunc()'s output when opts names a hash, and
// returns an ASN.1 signature. The digest is copied before the key's domain is entered (it is
// public), so it may lie in another arena the caller's domain grants. With random nil the
// signature is deterministic (RFC 6979, opts required); otherwise it is hedged (crypto/ecdsa
// mixes fresh randomness in: its own, since Go 1.26 ignores a caller's reader unless
// GODEBUG=cryptocustomrand=1, which then runs that reader inside the key's domain, where it
// could read the key). crypto/ecdsa copies the scalar into the Go heap for every signature (see
// the package doc).
//
// After Close (or, with InArena, once the arena is closed), Sign returns an error wrapping
// arena.ErrClosed; for options it does not sign with, one wrapping ErrUnsupported.
func (s *Signer) Sign(random io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.key.p == nil || s.home.arena.Closed() { // closed, or InArena's arena closed under it
		return nil, fmt.Errorf("keys: Sign: %w", arena.ErrClosed)
	}
	if s.alg == Ed25519 {
		v, err := ed25519Options(digest, opts)
		if err != nil {
			return nil, err
		}
		sig := make([]byte, signatureSize)
		err = s.home.do(func() error {
			scratch, err := s.home.arena.Alloc(scratchSize(digest, v))
			if err != nil {
				return err
			}
			defer s.home.discard(scratch) // also when reading the message faults
			signInPlace((*[signatureSize]byte)(sig), s.key.bytes(), digest, v, scratch)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("keys: Sign: %w", err)
		}
		return sig, nil
	}
	if opts != nil && opts.HashFunc() != 0 && len(digest) != opts.HashFunc().Size() {
		return nil, fmt.Errorf("keys: Sign: digest of %d bytes for %v", len(digest), opts.HashFunc())
	}
	if random == nil && (opts == nil || opts.HashFunc() == 0) {
		return nil, fmt.Errorf("keys: Sign: a deterministic ECDSA signature (random nil) needs "+
			"opts naming the digest's hash: %w", ErrUnsupported)
	}
	// The digest is public; read here, outside the key's domain, it cannot fault in there with
	// the scalar in registers (and a digest in another arena's memory can be signed).
	digest = bytes.Clone(digest)
	var sig []byte
	err := s.home.do(func() error {
		var err error
		sig, err = signECDSA(s.alg, s.key.bytes(), random, digest, opts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("keys: Sign: %w", err)
	}
	return sig, nil
}

// ed25519Options maps crypto.SignerOpts to one of RFC 8032's variants, as crypto/ed25519 does.
func ed25519Options(msg []byte, opts crypto.SignerOpts) (ed25519Variant, error) {
	var v ed25519Variant
	var hash crypto.Hash
	if opts != nil {
		hash = opts.HashFunc()
	}
	if o, ok := opts.(*ed25519.Options); ok {
		v.context = o.Context
	}
	if len(v.context) > 255 {
		return v, fmt.Errorf("keys: Sign: Ed25519 context of %d bytes, at most 255: %w", len(v.context), ErrUnsupported)
	}
	switch {
	case hash == crypto.SHA512:
		if len(msg) != sha512.Size {
			return v, fmt.Errorf("keys: Sign: Ed25519ph digest of %d bytes, want %d", len(msg), sha512.Size)
		}
		v.dom, v.ph = true, 1
	case hash == 0 && v.context != "":
		v.dom = true
	case hash != 0:
		return v, fmt.Errorf("keys: Sign: Ed25519 signs the message itself or its SHA-512 (Ed25519ph), not a %v digest: %w", hash, ErrUnsupported)
	}
	return v, nil
}

// signECDSA signs with the scalar in key (arena memory, inside the domain). crypto/ecdsa takes
// the key only as an *ecdsa.PrivateKey, so one is made for this signature and its big.Int
// wiped after; the copies crypto/ecdsa makes inside are out of reach (see the package doc).
func signECDSA(alg Algorithm, key []byte, random io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	priv, err := ecdsa.ParseRawPrivateKey(alg.curve(), key)
	if err != nil {
		return nil, err
	}
	defer wipeScalar(priv)
	return priv.Sign(random, digest, opts)
}

// wipeScalar zeroes the words of a transient key's big.Int scalar (all this code can reach).
// D is deprecated for computing with; it is still the only handle on this heap copy of the key.
func wipeScalar(priv *ecdsa.PrivateKey) {
	//lint:ignore SA1019 wiping the scalar's heap copy needs the field itself
	d := priv.D
	clear(d.Bits())
	d.SetInt64(0)
}

// Close wipes the key and frees it: it closes the key's own arena, or, with InArena, wipes the
// key's bytes at once and frees them. It waits for signatures in progress. A second Close
// returns nil.
func (s *Signer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key.p == nil {
		return nil
	}
	key := s.key.bytes()
	s.key = keyMem{}
	if s.home.own {
		return s.home.release()
	}
	s.cleanup.Stop()
	if s.home.arena.Closed() {
		return nil // the arena's Close wiped the key with everything else
	}
	return s.home.free(key)
}

// String describes the signer without its key: "keys.Signer{Ed25519, arena "keys" (mode)}".
func (s *Signer) String() string {
	return fmt.Sprintf("keys.Signer{%v, %v}", s.alg, s.home.arena)
}

// GoString is String: %#v must not print the fields, which hold the key's arena memory.
func (s *Signer) GoString() string { return s.String() }

// Format prints String for every verb, so that no formatting of a Signer reads its key.
func (s *Signer) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }
