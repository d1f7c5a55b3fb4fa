package keys

import "bytes"

// sshMagic opens every OpenSSH private key (PROTOCOL.key in OpenSSH's sources).
const sshMagic = "openssh-key-v1\x00"

// sshReader is a cursor over the OpenSSH key format's big-endian uint32 and length-prefixed
// strings, in arena memory; like der, it returns sub-slices and copies nothing.
type sshReader []byte

func (r *sshReader) uint32(what string) (uint32, error) {
	s := *r
	if len(s) < 4 {
		return 0, malformed("OpenSSH: %s: truncated", what)
	}
	*r = s[4:]
	return uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3]), nil
}

func (r *sshReader) string(what string) ([]byte, error) {
	n, err := r.uint32(what)
	if err != nil {
		return nil, err
	}
	s := *r
	if uint64(n) > uint64(len(s)) {
		return nil, malformed("OpenSSH: %s: truncated", what)
	}
	*r = s[n:]
	return s[:n], nil
}

// sshKeyTypes are the key types of the OpenSSH format this package signs with, and the curve
// name each ECDSA type carries.
var sshKeyTypes = []struct {
	name, curve string
	alg         Algorithm
}{
	{"ssh-ed25519", "", Ed25519},
	{"ecdsa-sha2-nistp256", "nistp256", ECDSAP256},
	{"ecdsa-sha2-nistp384", "nistp384", ECDSAP384},
}

// sshAlgorithm looks a key type up in sshKeyTypes.
func sshAlgorithm(keyType []byte) (Algorithm, string, error) {
	for _, t := range sshKeyTypes {
		if string(keyType) == t.name {
			return t.alg, t.curve, nil
		}
	}
	switch string(keyType) {
	case "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
		"sk-ecdsa-sha2-nistp256@openssh.com":
		return 0, "", unsupported("OpenSSH: key type %s", keyType)
	}
	return 0, "", unsupported("OpenSSH: unknown key type")
}

// parseOpenSSH reads an unencrypted OpenSSH private key holding one Ed25519 or ECDSA
// (nistp256, nistp384) key:
//
//	"openssh-key-v1\0" string cipher string kdf string kdfoptions uint32 1
//	string publickey string private
//
// where private is uint32 check uint32 check, the key's fields, string comment, and padding
// 1, 2, 3, ... to a multiple of 8. The public key blob must name the same key.
func parseOpenSSH(in []byte) (parsed, error) {
	var p parsed
	if !bytes.HasPrefix(in, []byte(sshMagic)) {
		return p, malformed("OpenSSH: no openssh-key-v1 magic")
	}
	r := sshReader(in[len(sshMagic):])
	cipher, err := r.string("cipher")
	if err != nil {
		return p, err
	}
	kdf, err := r.string("kdf")
	if err != nil {
		return p, err
	}
	if string(cipher) != "none" || string(kdf) != "none" {
		if len(cipher) > 32 {
			cipher = cipher[:32]
		}
		return p, encrypted("OpenSSH key with cipher %q", cipher)
	}
	if _, err := r.string("kdf options"); err != nil {
		return p, err
	}
	n, err := r.uint32("key count")
	if err != nil {
		return p, err
	}
	if n != 1 {
		return p, unsupported("OpenSSH: %d keys in one file, want 1", n)
	}
	pubBlob, err := r.string("public key")
	if err != nil {
		return p, err
	}
	private, err := r.string("private section")
	if err != nil {
		return p, err
	}
	if len(r) != 0 {
		return p, malformed("OpenSSH: trailing data")
	}
	if len(private)%8 != 0 {
		return p, malformed("OpenSSH: private section not padded to 8 bytes")
	}

	pr := sshReader(private)
	check1, err := pr.uint32("check")
	if err != nil {
		return p, err
	}
	check2, err := pr.uint32("check")
	if err != nil {
		return p, err
	}
	if check1 != check2 {
		return p, malformed("OpenSSH: check numbers differ")
	}
	keyType, err := pr.string("key type")
	if err != nil {
		return p, err
	}
	alg, curveName, err := sshAlgorithm(keyType)
	if err != nil {
		return p, err
	}
	p.alg = alg
	var pubPoint []byte
	if alg == Ed25519 {
		if pubPoint, err = pr.string("Ed25519 public key"); err != nil {
			return p, err
		}
		sk, err := pr.string("Ed25519 private key")
		if err != nil {
			return p, err
		}
		if len(pubPoint) != 32 || len(sk) != 64 {
			return p, malformed("OpenSSH: Ed25519 key of the wrong length")
		}
		p.secret, p.seedPK = sk[:32], sk[32:]
	} else {
		curve, err := pr.string("ECDSA curve")
		if err != nil {
			return p, err
		}
		if string(curve) != curveName {
			return p, malformed("OpenSSH: ECDSA curve does not match the key type")
		}
		if pubPoint, err = pr.string("ECDSA public key"); err != nil {
			return p, err
		}
		d, err := pr.string("ECDSA private key")
		if err != nil {
			return p, err
		}
		// An mpint: big-endian, with a zero byte in front when the top bit is set.
		if len(d) > 0 && d[0] == 0 {
			d = d[1:]
		}
		if len(d) == 0 || len(d) > alg.secretSize() {
			return p, malformed("OpenSSH: ECDSA scalar of %d bytes for %v", len(d), alg)
		}
		p.secret = d
	}
	p.pub = pubPoint
	if _, err := pr.string("comment"); err != nil {
		return p, err
	}
	for i, b := range pr {
		if b != byte(i+1) {
			return p, malformed("OpenSSH: bad padding")
		}
	}
	if len(pr) >= 8 {
		return p, malformed("OpenSSH: bad padding")
	}
	if err := checkSSHPublicBlob(pubBlob, keyType, curveName, pubPoint); err != nil {
		return p, err
	}
	return p, nil
}

// checkSSHPublicBlob checks that the file's public key blob (string type, then the Ed25519 key,
// or string curve and string point) is the public key of the private section.
func checkSSHPublicBlob(blob, keyType []byte, curveName string, point []byte) error {
	r := sshReader(blob)
	t, err := r.string("public key type")
	if err != nil {
		return err
	}
	if !bytes.Equal(t, keyType) {
		return malformed("OpenSSH: public key type differs from the private key's")
	}
	if curveName != "" {
		c, err := r.string("public key curve")
		if err != nil {
			return err
		}
		if string(c) != curveName {
			return malformed("OpenSSH: public key curve differs from the private key's")
		}
	}
	pub, err := r.string("public key")
	if err != nil {
		return err
	}
	if !bytes.Equal(pub, point) || len(r) != 0 {
		return malformed("OpenSSH: public key differs from the private key's")
	}
	return nil
}
