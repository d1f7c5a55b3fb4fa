// Package keys holds private signing keys in arena memory: a Signer is a crypto.Signer and an
// io.Closer for Ed25519, ECDSA P-256 and ECDSA P-384 whose key exists only in an arena (package
// arena) between signatures and is read only inside a domain that grants it (package domain),
// which Sign enters for each signature. Close wipes the key and frees it.
//
// Read and LoadFile load PEM (PKCS#8, SEC 1, unencrypted OpenSSH) and raw 32-byte Ed25519 seeds
// (32 bytes of text are taken for none); Generate draws a new key. LoadFile reads the file with
// read(2) straight into arena memory, inside the domain, and the base64 and DER are decoded
// there, in place, by small parsers of this package for these fixed structures (encoding/pem,
// encoding/asn1 and crypto/x509 copy what they decode into the Go heap). The input is wiped
// before LoadFile returns.
//
// A Signer fits wherever a crypto.Signer does: tls.Certificate{PrivateKey: s}, x509 and
// OpenSSH signing (ssh.NewSignerFromSigner), JOSE (see docs/keys.md in the repository).
//
// # What is erased, and what is not
//
// Ed25519 signs in place (filippo.io/edwards25519 arithmetic; crypto/ed25519 cannot sign from
// arena memory, see the arena package's Limitations): no byte of the seed, nor of the scalar and
// nonce derived from it, is copied into the Go heap, from loading to Close. The hashes run over
// arena memory with sha512.Sum512, whose state is on the stack. Around the work on key bytes
// (loading, signing) asynchronous signals are held back on the thread, so that no signal frame
// records registers holding key material; afterwards the stack the work used below the domain's
// frame is zeroed, and so are the vector registers. A test loads a key from a file, signs,
// collects garbage and scans all of the process's memory outside the arenas (heap, stacks,
// signal stacks) for the seed, the scalar and the nonce prefix, and finds none; planted copies
// it finds.
//
// ECDSA cannot be signed in place with the standard library: crypto/ecdsa takes the scalar only
// as an *ecdsa.PrivateKey. For each signature (and once when a key is loaded or generated) this
// package makes one from the arena bytes and wipes its big.Int afterwards, but crypto/ecdsa
// makes copies of its own that nothing outside it can reach: the FIPS module's key (the scalar
// as bytes, made twice: once when the key is parsed, once for signing, the second kept in a
// cache entry until the *ecdsa.PrivateKey is collected), the bytes behind the big.Int, the
// scalar's bigmod limbs, the HMAC-DRBG state seeded with the scalar and the per-signature nonce.
// They are unreachable once Sign returns and stay in freed heap memory until the heap reuses
// it: the memory scan finds copies of the scalar from the last few dozen signatures. Built with
// GOEXPERIMENT=runtimesecret (linux/amd64 and linux/arm64), the work runs inside
// runtime/secret.Do (domain.DoSecret), which erases those heap copies when the collector frees
// them, and registers and stack when the work returns; the scan then finds none. Prefer Ed25519
// where the key must never be in the Go heap.
//
// # Limitations
//
//   - Everything in the arena package's Limitations holds for the key's arena: in particular,
//     in Mprotect mode (no protection keys) the key is readable by every thread while any
//     thread signs with it, and ptrace or /proc/<pid>/mem read it unless the arena is backed
//     by memfd_secret (ArenaOptions(arena.WithBacking(arena.SecretMem))).
//   - Without runtime/secret: general-purpose registers are not cleared, and the vector
//     registers only as far as a copy of zeros reaches them; the garbage collector may move the
//     goroutine's stack mid-signature (it shrinks stacks) and leave the old copy unwiped; and
//     outside Linux signals are not held back.
//   - While key bytes are worked on, the goroutine is not preempted by signal (only at function
//     calls), and profiling signals wait: a signature over a very long message delays the
//     collector's stop-the-world.
//   - Read calls r.Read inside the domain, with signals held; a reader that buffers the input
//     keeps a copy of it.
//   - Encrypted keys are refused (ErrEncrypted), as are RSA, DSA, P-521 and other types
//     (ErrUnsupported).
package keys
