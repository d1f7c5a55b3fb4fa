package keys_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/keys"
)

// rfc8032Seed is the secret key of RFC 8032's first Ed25519 test vector, in PEM (PKCS#8).
const rfc8032PEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----
`

// writeKeyFile stands in for a key file on disk: it writes rfc8032PEM to a temporary file.
func writeKeyFile() (path string, cleanup func()) {
	dir, err := os.MkdirTemp("", "keys-example-")
	if err != nil {
		panic(err)
	}
	path = filepath.Join(dir, "key.pem")
	if err := os.WriteFile(path, []byte(rfc8032PEM), 0o600); err != nil {
		panic(err)
	}
	return path, func() { os.RemoveAll(dir) }
}

// A TLS server's key, read from its file straight into an arena: the tls.Certificate holds
// the Signer, and every handshake signature enters the key's domain.
func Example() {
	path, cleanup := writeKeyFile()
	defer cleanup()

	signer, err := keys.LoadFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer signer.Close() // wipes the key

	cert := tls.Certificate{ /* Certificate: the DER chain, */ PrivateKey: signer}
	fmt.Println(signer.Algorithm(), cert.PrivateKey.(crypto.Signer).Public() != nil)
	// Output: Ed25519 true
}

func ExampleLoadFile() {
	path, cleanup := writeKeyFile()
	defer cleanup()

	signer, err := keys.LoadFile(path) // read(2) writes the file into arena memory
	if err != nil {
		fmt.Println(err)
		return
	}
	defer signer.Close()
	fmt.Printf("%x\n", signer.Public())

	_, err = keys.LoadFile(filepath.Join(filepath.Dir(path), "missing.pem"))
	fmt.Println(errors.Is(err, os.ErrNotExist))
	// Output:
	// d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a
	// true
}

func ExampleRead() {
	signer, err := keys.Read(strings.NewReader(rfc8032PEM))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer signer.Close()
	fmt.Println(signer.Algorithm())

	// Refused inputs say why, with sentinels for errors.Is.
	_, err = keys.Read(strings.NewReader("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"))
	fmt.Println(errors.Is(err, keys.ErrEncrypted))
	_, err = keys.Read(strings.NewReader("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"))
	fmt.Println(errors.Is(err, keys.ErrUnsupported))
	_, err = keys.Read(strings.NewReader("hello"))
	fmt.Println(errors.Is(err, keys.ErrNoKey))
	// Output:
	// Ed25519
	// true
	// true
	// true
}

func ExampleGenerate() {
	signer, err := keys.Generate(keys.ECDSAP256) // the scalar is drawn into arena memory
	if err != nil {
		fmt.Println(err)
		return
	}
	defer signer.Close()
	fmt.Println(signer.Algorithm(), signer.Public().(*ecdsa.PublicKey).Curve.Params().Name)
	// Output: ECDSA P-256 P-256
}

func ExampleSigner_Sign() {
	signer, _ := keys.Read(strings.NewReader(rfc8032PEM))
	defer signer.Close()

	// Ed25519 signs the message itself (crypto.Hash(0)), deterministically.
	sig, err := signer.Sign(nil, nil, crypto.Hash(0))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(hex.EncodeToString(sig)[:32])
	fmt.Println(ed25519.Verify(signer.Public().(ed25519.PublicKey), nil, sig))

	// ECDSA signs a digest of the hash that opts names.
	ec, _ := keys.Generate(keys.ECDSAP384)
	defer ec.Close()
	sum := sha256.Sum256([]byte("message"))
	sig, _ = ec.Sign(nil, sum[:], crypto.SHA256) // random nil: deterministic (RFC 6979)
	fmt.Println(ecdsa.VerifyASN1(ec.Public().(*ecdsa.PublicKey), sum[:], sig))
	// Output:
	// e5564300c360ac729086e2cc806e828a
	// true
	// true
}

func ExampleSigner_Public() {
	signer, _ := keys.Read(strings.NewReader(rfc8032PEM))
	defer signer.Close()
	pub := signer.Public().(ed25519.PublicKey) // a heap copy: the public key is not secret
	fmt.Println(len(pub))
	// Output: 32
}

func ExampleSigner_Close() {
	signer, _ := keys.Generate(keys.Ed25519)
	fmt.Println(signer.Close()) // wipes the key and frees its arena
	_, err := signer.Sign(nil, []byte("late"), crypto.Hash(0))
	fmt.Println(errors.Is(err, arena.ErrClosed))
	fmt.Println(signer.Close()) // a second Close does nothing
	// Output:
	// <nil>
	// true
	// <nil>
}

func ExampleSigner_Algorithm() {
	signer, _ := keys.Generate(keys.ECDSAP384)
	defer signer.Close()
	fmt.Println(signer.Algorithm())
	// Output: ECDSA P-384
}

func ExampleSigner_String() {
	signer, _ := keys.Generate(keys.Ed25519)
	defer signer.Close()
	// keys.Signer{Ed25519, arena "keys" (PKU)}, or (Mprotect): never a byte of the key.
	fmt.Println(strings.HasPrefix(signer.String(), `keys.Signer{Ed25519, arena "keys" (`))
	// Output: true
}

func ExampleAlgorithm_String() {
	fmt.Println(keys.Ed25519, keys.ECDSAP256, keys.ECDSAP384)
	// Output: Ed25519 ECDSA P-256 ECDSA P-384
}

// Several keys in one arena of the caller's: Close frees each key's bytes and leaves the
// arena open.
func ExampleInArena() {
	a, err := arena.NewArena(arena.Name("service-keys"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	tlsKey, _ := keys.Generate(keys.ECDSAP256, keys.InArena(a))
	sshKey, _ := keys.Read(bytes.NewReader(make([]byte, 32)), keys.InArena(a)) // a raw seed
	fmt.Println(a.Stats().Objects)
	tlsKey.Close()
	sshKey.Close()
	fmt.Println(a.Stats().Objects, a.Closed())
	// Output:
	// 2
	// 0 false
}

func ExampleArenaOptions() {
	// The key's own arena, named and capped; arena.RequirePKU() here would refuse the mprotect
	// fallback (an error wrapping pkru.ErrNotSupported where there are no protection keys).
	signer, err := keys.Generate(keys.Ed25519, keys.ArenaOptions(arena.Name("tls-key"), arena.Limit(64<<10)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer signer.Close()
	fmt.Println(strings.Contains(signer.String(), `arena "tls-key"`))
	// Output: true
}
