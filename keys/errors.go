package keys

import "errors"

// Sentinels that the errors of Read, LoadFile and Generate wrap, for errors.Is. The messages
// around them name the format and the structure that was wrong, never a byte of the key.
var (
	// ErrEncrypted is wrapped for keys protected by a passphrase: PEM "ENCRYPTED PRIVATE KEY",
	// a "Proc-Type: 4,ENCRYPTED" header, or an OpenSSH key whose cipher is not "none".
	// Decrypt the key first (openssl pkey, ssh-keygen -p), or keep it on an encrypted disk.
	ErrEncrypted = errors.New("encrypted private keys are not supported")
	// ErrUnsupported is wrapped for well-formed keys of a type or curve this package does not
	// sign with (RSA, DSA, P-521, Ed448, X25519, security-key types) and for options of a
	// signature it does not make.
	ErrUnsupported = errors.New("unsupported key type")
	// ErrMalformed is wrapped when the input is not a valid encoding of a private key:
	// bad PEM or base64, DER that does not follow the structure, a public key that does not
	// match the private one.
	ErrMalformed = errors.New("malformed private key")
	// ErrNoKey is wrapped when the input holds no private key at all: no PEM private-key block
	// (a certificate alone, an empty file) and not a raw 32-byte Ed25519 seed (32 bytes of
	// printable text, ASCII or other UTF-8, are none).
	ErrNoKey = errors.New("no private key found")
	// ErrTooLarge is wrapped when the input is longer than MaxInputSize.
	ErrTooLarge = errors.New("key input too large")
)
