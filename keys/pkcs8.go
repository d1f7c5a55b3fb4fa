package keys

import "bytes"

// parsed is a private key found in the input: sub-slices of the decoded input, in arena memory.
type parsed struct {
	alg    Algorithm
	secret []byte // the Ed25519 seed (32 bytes) or the big-endian ECDSA scalar (at most its size)
	seedPK []byte // OpenSSH only: the public half of its 64-byte Ed25519 private key
	pub    []byte // the public key the file states, nil when it states none
}

// parsePKCS8 reads a PKCS#8 PrivateKeyInfo (RFC 5208; OneAsymmetricKey, RFC 5958) holding an
// Ed25519 (RFC 8410) or EC (RFC 5915) key:
//
//	SEQUENCE { INTEGER version, SEQUENCE { OID algorithm, parameters }, OCTET STRING key,
//	           [0] attributes OPTIONAL, [1] IMPLICIT BIT STRING publicKey OPTIONAL }
func parsePKCS8(in der) (parsed, error) {
	var p parsed
	seq, err := in.read(tagSequence, "PKCS#8")
	if err != nil {
		return p, err
	}
	if err := in.done("PKCS#8"); err != nil {
		return p, err
	}
	if _, err := seq.readVersion("PKCS#8 version", 0, 1); err != nil {
		return p, err
	}
	algID, err := seq.read(tagSequence, "PKCS#8 algorithm")
	if err != nil {
		return p, err
	}
	oid, err := algID.read(tagOID, "PKCS#8 algorithm")
	if err != nil {
		return p, err
	}
	key, err := seq.read(tagOctetString, "PKCS#8 private key")
	if err != nil {
		return p, err
	}
	if _, _, err := seq.readOptional(tagContext0, "PKCS#8 attributes"); err != nil {
		return p, err
	}
	pub, hasPub, err := seq.readOptional(tagContext1Imp, "PKCS#8 public key")
	if err != nil {
		return p, err
	}
	if hasPub {
		if len(pub) < 1 || pub[0] != 0 {
			return p, malformed("PKCS#8 public key: bad BIT STRING")
		}
		pub = pub[1:]
	}
	if err := seq.done("PKCS#8"); err != nil {
		return p, err
	}

	switch {
	case bytes.Equal(oid, oidEd25519):
		if !algID.empty() {
			return p, malformed("PKCS#8 Ed25519: parameters present")
		}
		seed, err := key.read(tagOctetString, "PKCS#8 Ed25519 key")
		if err != nil {
			return p, err
		}
		if err := key.done("PKCS#8 Ed25519 key"); err != nil {
			return p, err
		}
		if len(seed) != 32 {
			return p, malformed("PKCS#8 Ed25519 key: seed of %d bytes, want 32", len(seed))
		}
		p = parsed{alg: Ed25519, secret: seed}
		if hasPub {
			p.pub = pub
		}
		return p, nil
	case bytes.Equal(oid, oidECPublicKey):
		if algID.peek(tagSequence) || algID.peek(tagNull) || algID.empty() {
			return p, unsupported("PKCS#8 EC: explicit or missing curve parameters")
		}
		curve, err := algID.read(tagOID, "PKCS#8 EC curve")
		if err != nil {
			return p, err
		}
		if err := algID.done("PKCS#8 EC parameters"); err != nil {
			return p, err
		}
		alg, err := curveByOID(curve)
		if err != nil {
			return p, err
		}
		p, err = parseSEC1(key, alg)
		switch {
		case err != nil || !hasPub:
		case p.pub == nil:
			p.pub = pub // compared with the private key when the key is loaded
		case !samePoint(p.pub, pub):
			return parsed{}, malformed("PKCS#8 EC: the public key outside differs from the one " +
				"inside the SEC 1 key")
		}
		return p, err
	}
	return p, unsupported("PKCS#8: %s", oidName(oid))
}

// parseSEC1 reads an ECPrivateKey (SEC 1, RFC 5915):
//
//	SEQUENCE { INTEGER 1, OCTET STRING privateKey, [0] OID curve OPTIONAL,
//	           [1] BIT STRING publicKey OPTIONAL }
//
// alg is the curve named outside (PKCS#8), or 0; the curve inside, when present, must agree.
func parseSEC1(in der, alg Algorithm) (parsed, error) {
	var p parsed
	seq, err := in.read(tagSequence, "EC private key")
	if err != nil {
		return p, err
	}
	if err := in.done("EC private key"); err != nil {
		return p, err
	}
	if _, err := seq.readVersion("EC private key version", 1); err != nil {
		return p, err
	}
	scalar, err := seq.read(tagOctetString, "EC private key")
	if err != nil {
		return p, err
	}
	params, hasParams, err := seq.readOptional(tagContext0, "EC parameters")
	if err != nil {
		return p, err
	}
	if hasParams {
		if params.peek(tagSequence) {
			return p, unsupported("EC private key: explicit curve parameters")
		}
		oid, err := params.read(tagOID, "EC curve")
		if err != nil {
			return p, err
		}
		if err := params.done("EC parameters"); err != nil {
			return p, err
		}
		inner, err := curveByOID(oid)
		if err != nil {
			return p, err
		}
		if alg != 0 && inner != alg {
			return p, malformed("EC private key: curve differs from the PKCS#8 algorithm's")
		}
		alg = inner
	}
	if alg == 0 {
		return p, malformed("EC private key: no curve named")
	}
	pubWrap, hasPub, err := seq.readOptional(tagContext1, "EC public key")
	if err != nil {
		return p, err
	}
	if err := seq.done("EC private key"); err != nil {
		return p, err
	}
	p = parsed{alg: alg, secret: scalar}
	if hasPub {
		pub, err := pubWrap.readBitString(tagBitString, "EC public key")
		if err != nil {
			return p, err
		}
		if err := pubWrap.done("EC public key"); err != nil {
			return p, err
		}
		p.pub = pub
	}
	if len(scalar) == 0 || len(scalar) > alg.secretSize() {
		return p, malformed("EC private key: scalar of %d bytes for %v", len(scalar), alg)
	}
	return p, nil
}

// samePoint reports whether SEC 1 encodings a and b name one point, either of them compressed.
func samePoint(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	n := (len(a) - 1) / 2
	if len(a) == 0 || a[0] != 4 || len(a) != 1+2*n || len(b) != 1+n {
		return false
	}
	return b[0] == 2|a[len(a)-1]&1 && bytes.Equal(b[1:], a[1:1+n])
}
