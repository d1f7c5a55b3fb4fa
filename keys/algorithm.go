package keys

import (
	"crypto/elliptic"
	"fmt"
)

// Algorithm is the kind of key a Signer holds.
type Algorithm uint8

const (
	// Ed25519 (RFC 8032): signs in place, from arena memory, with no copy of the key in the heap.
	Ed25519 Algorithm = iota + 1
	// ECDSAP256 is ECDSA over NIST P-256 (secp256r1, prime256v1).
	ECDSAP256
	// ECDSAP384 is ECDSA over NIST P-384 (secp384r1).
	ECDSAP384
)

// String names the algorithm as "Ed25519", "ECDSA P-256" or "ECDSA P-384".
func (a Algorithm) String() string {
	switch a {
	case Ed25519:
		return "Ed25519"
	case ECDSAP256:
		return "ECDSA P-256"
	case ECDSAP384:
		return "ECDSA P-384"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// secretSize is the length of the key's secret in arena memory: the Ed25519 seed followed by
// the public key, or the big-endian ECDSA scalar.
func (a Algorithm) secretSize() int {
	switch a {
	case Ed25519:
		return 64
	case ECDSAP256:
		return 32
	case ECDSAP384:
		return 48
	}
	return 0
}

// curve returns the elliptic curve of an ECDSA algorithm, nil for others.
func (a Algorithm) curve() elliptic.Curve {
	switch a {
	case ECDSAP256:
		return elliptic.P256()
	case ECDSAP384:
		return elliptic.P384()
	}
	return nil
}

// DER encodings (contents of the OBJECT IDENTIFIER) of the algorithms and curves that key files
// name, with their dotted forms.
var (
	oidEd25519     = []byte{0x2b, 0x65, 0x70}                               // 1.3.101.112
	oidECPublicKey = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}       // 1.2.840.10045.2.1
	oidP256        = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07} // 1.2.840.10045.3.1.7
	oidP384        = []byte{0x2b, 0x81, 0x04, 0x00, 0x22}                   // 1.3.132.0.34
	oidP521        = []byte{0x2b, 0x81, 0x04, 0x00, 0x23}                   // 1.3.132.0.35
	oidX25519      = []byte{0x2b, 0x65, 0x6e}                               // 1.3.101.110
	oidX448        = []byte{0x2b, 0x65, 0x6f}                               // 1.3.101.111
	oidEd448       = []byte{0x2b, 0x65, 0x71}                               // 1.3.101.113
	oidDSA         = []byte{0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01}       // 1.2.840.10040.4.1

	// 1.2.840.113549.1.1.1 and .10
	oidRSA    = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}
	oidRSAPSS = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a}
)

// unsupportedOIDs name the algorithms and curves that are recognised and refused.
var unsupportedOIDs = []struct {
	oid  []byte
	name string
}{
	{oidRSA, "RSA"}, {oidRSAPSS, "RSA-PSS"}, {oidDSA, "DSA"}, {oidX25519, "X25519"},
	{oidX448, "X448"}, {oidEd448, "Ed448"}, {oidP521, "curve P-521"},
}

// oidName names an OID this package refuses, or says it is unknown.
func oidName(oid []byte) string {
	for _, u := range unsupportedOIDs {
		if string(u.oid) == string(oid) {
			return u.name
		}
	}
	return "unknown OID"
}

// curveByOID returns the ECDSA algorithm of a named curve.
func curveByOID(oid []byte) (Algorithm, error) {
	switch string(oid) {
	case string(oidP256):
		return ECDSAP256, nil
	case string(oidP384):
		return ECDSAP384, nil
	}
	return 0, unsupported("%s", oidName(oid))
}
