package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(role)) // a re-run of the test binary as a test's child process
	}
	goleak.VerifyTestMain(m)
}

// childEnv selects a child role when the test binary re-runs itself.
const childEnv = "KEYS_TEST_CHILD"

// fixture is a private key of every format the tests write, made with the standard library
// (the encoders this package does not use) and a small OpenSSH encoder of the tests' own.
type fixture struct {
	alg    Algorithm
	priv   crypto.Signer // the standard library's key, for the expected public key
	secret []byte        // the seed or the fixed-length scalar
}

func newFixture(t testing.TB, alg Algorithm) fixture {
	t.Helper()
	switch alg {
	case Ed25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return fixture{alg, priv, priv.Seed()}
	default:
		priv, err := ecdsa.GenerateKey(alg.curve(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		d, err := priv.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return fixture{alg, priv, d}
	}
}

// pub returns the expected public key.
func (f fixture) pub() crypto.PublicKey { return f.priv.Public() }

func (f fixture) pkcs8DER(t testing.TB) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(f.priv)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func (f fixture) pkcs8(t testing.TB) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: f.pkcs8DER(t)})
}

func (f fixture) sec1DER(t testing.TB) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(f.priv.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func (f fixture) sec1(t testing.TB) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: f.sec1DER(t)})
}

// sshString appends an OpenSSH string (uint32 length, bytes).
func sshString(b []byte, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// sshPublic returns the OpenSSH public key blob and the private key's fields.
func (f fixture) sshFields(t testing.TB) (keyType string, pubBlob, privFields []byte) {
	t.Helper()
	if f.alg == Ed25519 {
		pub := f.pub().(ed25519.PublicKey)
		keyType = "ssh-ed25519"
		pubBlob = sshString(sshString(nil, []byte(keyType)), pub)
		privFields = sshString(sshString(nil, pub), f.priv.(ed25519.PrivateKey))
		return
	}
	curve := map[Algorithm]string{ECDSAP256: "nistp256", ECDSAP384: "nistp384"}[f.alg]
	keyType = "ecdsa-sha2-" + curve
	point, err := f.pub().(*ecdsa.PublicKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	pubBlob = sshString(sshString(sshString(nil, []byte(keyType)), []byte(curve)), point)
	mpint := bytes.TrimLeft(f.secret, "\x00")
	if mpint[0]&0x80 != 0 {
		mpint = append([]byte{0}, mpint...)
	}
	privFields = sshString(sshString(sshString(nil, []byte(curve)), point), mpint)
	return
}

// opensshDER returns the binary OpenSSH private key (what the PEM block holds); edit, when not
// nil, may change the parts before they are put together.
func (f fixture) opensshBinary(t testing.TB, edit func(p *sshParts)) []byte {
	t.Helper()
	keyType, pubBlob, fields := f.sshFields(t)
	p := sshParts{
		cipher: "none", kdf: "none", count: 1, pubBlob: pubBlob,
		check1: 0x01020304, check2: 0x01020304, keyType: keyType, fields: fields,
		comment: "test@example",
	}
	if edit != nil {
		edit(&p)
	}
	private := binary.BigEndian.AppendUint32(nil, p.check1)
	private = binary.BigEndian.AppendUint32(private, p.check2)
	private = sshString(private, []byte(p.keyType))
	private = append(private, p.fields...)
	private = sshString(private, []byte(p.comment))
	for i := byte(1); len(private)%8 != 0; i++ {
		private = append(private, i)
	}
	if p.padding != nil {
		private = p.padding(private)
	}
	out := []byte(sshMagic)
	out = sshString(out, []byte(p.cipher))
	out = sshString(out, []byte(p.kdf))
	out = sshString(out, nil)
	out = binary.BigEndian.AppendUint32(out, p.count)
	out = sshString(out, p.pubBlob)
	out = sshString(out, private)
	return out
}

// sshParts are the pieces of an OpenSSH private key that tests change.
type sshParts struct {
	cipher, kdf    string
	count          uint32
	pubBlob        []byte
	check1, check2 uint32
	keyType        string
	fields         []byte
	comment        string
	padding        func([]byte) []byte
}

func (f fixture) openssh(t testing.TB, edit func(p *sshParts)) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: f.opensshBinary(t, edit)})
}

func pemOf(label string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: label, Bytes: der})
}

// checkSigner asserts that s holds f's key: the same public key, and a signature that verifies
// under it and not for another message.
func checkSigner(t testing.TB, s *Signer, f fixture) {
	t.Helper()
	if s.Algorithm() != f.alg {
		t.Fatalf("algorithm %v, want %v", s.Algorithm(), f.alg)
	}
	if !s.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(f.pub()) {
		t.Fatalf("public key %v, want %v", s.Public(), f.pub())
	}
	verifySigns(t, s)
}

// verifySigns signs a message with s and checks the signature with the standard library.
func verifySigns(t testing.TB, s *Signer) {
	t.Helper()
	msg := []byte("pkeyarena keys test message")
	other := []byte("another message")
	switch pub := s.Public().(type) {
	case ed25519.PublicKey:
		sig, err := s.Sign(nil, msg, crypto.Hash(0))
		if err != nil {
			t.Fatal(err)
		}
		if !ed25519.Verify(pub, msg, sig) || ed25519.Verify(pub, other, sig) {
			t.Fatal("the Ed25519 signature does not verify for its message only")
		}
	case *ecdsa.PublicKey:
		h := map[elliptic.Curve]crypto.Hash{elliptic.P256(): crypto.SHA256, elliptic.P384(): crypto.SHA384}[pub.Curve]
		sum := digest(h, msg)
		sig, err := s.Sign(rand.Reader, sum, h)
		if err != nil {
			t.Fatal(err)
		}
		if !ecdsa.VerifyASN1(pub, sum, sig) || ecdsa.VerifyASN1(pub, digest(h, other), sig) {
			t.Fatal("the ECDSA signature does not verify for its digest only")
		}
	default:
		t.Fatalf("public key of type %T", pub)
	}
}

func digest(h crypto.Hash, msg []byte) []byte {
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

// readKey is Read from an in-memory input, closed when the test ends.
func readKey(t testing.TB, in []byte, opts ...Option) (*Signer, error) {
	t.Helper()
	s, err := Read(bytes.NewReader(in), opts...)
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}
