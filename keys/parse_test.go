package keys

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
)

// ecPrivateKey is SEC 1's structure, for tests that build variants with encoding/asn1.
type ecPrivateKey struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

// pkcs8Info is PKCS#8's OneAsymmetricKey, for the same purpose.
type pkcs8Info struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
	PublicKey  asn1.BitString `asn1:"optional,tag:1"`
}

var (
	asn1P256    = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	asn1P521    = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
	asn1EC      = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	asn1Ed25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
	asn1Ed448   = asn1.ObjectIdentifier{1, 3, 101, 113}
	asn1RSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
)

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureWithScalar returns an ECDSA P-256 fixture with the given 32-byte scalar.
func fixtureWithScalar(t testing.TB, d []byte) fixture {
	t.Helper()
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{ECDSAP256, priv, d}
}

func sec1Variant(t testing.TB, f fixture, edit func(k *ecPrivateKey)) []byte {
	t.Helper()
	var k ecPrivateKey
	if _, err := asn1.Unmarshal(f.sec1DER(t), &k); err != nil {
		t.Fatal(err)
	}
	edit(&k)
	return pemOf("EC PRIVATE KEY", mustMarshal(t, k))
}

// Every format and variant Read accepts gives the fixture's key, which then signs.
func TestReadFormats(t *testing.T) {
	ed, p256, p384 := newFixture(t, Ed25519), newFixture(t, ECDSAP256), newFixture(t, ECDSAP384)
	leadingZero := fixtureWithScalar(t, append([]byte{0}, bytes.Repeat([]byte{0x17}, 31)...))
	highBit := fixtureWithScalar(t, append([]byte{0x80}, bytes.Repeat([]byte{0x17}, 31)...))
	cert := pemOf("CERTIFICATE", []byte("not parsed: any block that is not a private key is skipped"))
	params := pemOf("EC PARAMETERS", mustMarshal(t, asn1P256))
	edPub := ed.pub().(ed25519.PublicKey)
	crlf := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }
	p256Point, err := p256.pub().(*ecdsa.PublicKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	compressed := func(f fixture) []byte {
		point, err := f.pub().(*ecdsa.PublicKey).Bytes() // 04 || X || Y
		if err != nil {
			t.Fatal(err)
		}
		size := (len(point) - 1) / 2
		return append([]byte{2 | point[len(point)-1]&1}, point[1:1+size]...)
	}

	for _, tt := range []struct {
		name string
		f    fixture
		in   []byte
	}{
		{"raw seed", ed, ed.secret},
		{"PKCS#8 Ed25519", ed, ed.pkcs8(t)},
		{"PKCS#8 v2 Ed25519 with its public key", ed, pemOf("PRIVATE KEY", mustMarshal(t, pkcs8Info{
			Version: 1, Algo: pkix.AlgorithmIdentifier{Algorithm: asn1Ed25519},
			PrivateKey: mustMarshal(t, ed.secret), PublicKey: asn1.BitString{Bytes: edPub, BitLength: 256},
		}))},
		{"PKCS#8 P-256", p256, p256.pkcs8(t)},
		{"PKCS#8 v2 P-256 with its public key outside too", p256, pemOf("PRIVATE KEY", mustMarshal(t, pkcs8Info{
			Version:    1,
			Algo:       pkix.AlgorithmIdentifier{Algorithm: asn1EC, Parameters: asn1.RawValue{FullBytes: mustMarshal(t, asn1P256)}},
			PrivateKey: p256.sec1DER(t),
			PublicKey:  asn1.BitString{Bytes: p256Point, BitLength: 8 * len(p256Point)},
		}))},
		{"PKCS#8 P-384", p384, p384.pkcs8(t)},
		{"PKCS#8 v2 P-256 with its public key outside, compressed", p256, pemOf("PRIVATE KEY", mustMarshal(t, pkcs8Info{
			Version:    1,
			Algo:       pkix.AlgorithmIdentifier{Algorithm: asn1EC, Parameters: asn1.RawValue{FullBytes: mustMarshal(t, asn1P256)}},
			PrivateKey: p256.sec1DER(t),
			PublicKey:  asn1.BitString{Bytes: compressed(p256), BitLength: 8 * len(compressed(p256))},
		}))},
		{"SEC 1 P-256", p256, p256.sec1(t)},
		{"SEC 1 P-384", p384, p384.sec1(t)},
		{"SEC 1 without public key", p256, sec1Variant(t, p256, func(k *ecPrivateKey) { k.PublicKey = asn1.BitString{} })},
		{"SEC 1 with a compressed public key", p256, sec1Variant(t, p256, func(k *ecPrivateKey) {
			c := compressed(p256)
			k.PublicKey = asn1.BitString{Bytes: c, BitLength: 8 * len(c)}
		})},
		{"SEC 1 scalar with its leading zero dropped", leadingZero, sec1Variant(t, leadingZero, func(k *ecPrivateKey) {
			k.PrivateKey = k.PrivateKey[1:]
		})},
		{"OpenSSH Ed25519", ed, ed.openssh(t, nil)},
		{"OpenSSH P-256", p256, p256.openssh(t, nil)},
		{"OpenSSH P-384", p384, p384.openssh(t, nil)},
		{"OpenSSH P-256 mpint with a zero byte in front", highBit, highBit.openssh(t, nil)},
		{"OpenSSH P-256 mpint shorter than the curve", leadingZero, leadingZero.openssh(t, nil)},
		{"a certificate before the key", p256, append(cert, p256.pkcs8(t)...)},
		{"EC PARAMETERS before the key (openssl ecparam -genkey)", p256, append(params, p256.sec1(t)...)},
		{"CRLF line endings", ed, crlf(ed.pkcs8(t))},
		{"text around the block", p384, append(append([]byte("Bag Attributes\n    localKeyID: 01\n"), p384.pkcs8(t)...), "trailer\n"...)},
		{"RFC 1421 headers that do not encrypt", ed, bytes.Replace(ed.pkcs8(t), []byte("KEY-----\n"), []byte("KEY-----\nComment: hello\n\n"), 1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := readKey(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			checkSigner(t, s, tt.f)
		})
	}
}

// Every input Read refuses gets an error wrapping the right sentinel, and leaves nothing
// allocated in the arena.
func TestReadErrors(t *testing.T) {
	ed, p256 := newFixture(t, Ed25519), newFixture(t, ECDSAP256)
	other := newFixture(t, ECDSAP256)
	otherPoint, _ := other.pub().(*ecdsa.PublicKey).Bytes()
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p521DER, err := x509.MarshalPKCS8PrivateKey(p521)
	if err != nil {
		t.Fatal(err)
	}
	p521SEC1, err := x509.MarshalECPrivateKey(p521)
	if err != nil {
		t.Fatal(err)
	}
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x25519DER, err := x509.MarshalPKCS8PrivateKey(x25519)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8With := func(oid asn1.ObjectIdentifier, key []byte) []byte {
		return pemOf("PRIVATE KEY", mustMarshal(t, pkcs8Info{Algo: pkix.AlgorithmIdentifier{Algorithm: oid}, PrivateKey: key}))
	}
	n := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
	edDER := ed.pkcs8DER(t)
	withBody := func(label, body string) []byte {
		return []byte("-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n")
	}
	procType := bytes.Replace(p256.sec1(t), []byte("KEY-----\n"),
		[]byte("KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n"), 1)

	for _, tt := range []struct {
		name string
		in   []byte
		want error
	}{
		{"encrypted PKCS#8", pemOf("ENCRYPTED PRIVATE KEY", edDER), ErrEncrypted},
		{"Proc-Type 4,ENCRYPTED", procType, ErrEncrypted},
		{"Proc-Type folded", bytes.Replace(p256.sec1(t), []byte("KEY-----\n"),
			[]byte("KEY-----\nProc-Type:\n 4,ENCRYPTED\nComment: x\n\n"), 1), ErrEncrypted},
		{"OpenSSH with a cipher", ed.openssh(t, func(p *sshParts) { p.cipher, p.kdf = "aes256-ctr", "bcrypt" }), ErrEncrypted},
		{"OpenSSH with a kdf only", ed.openssh(t, func(p *sshParts) { p.kdf = "bcrypt" }), ErrEncrypted},

		{"PKCS#8 RSA", pkcs8With(asn1RSA, []byte{0x30, 0}), ErrUnsupported},
		{"PEM RSA PRIVATE KEY", pemOf("RSA PRIVATE KEY", []byte{0x30, 0}), ErrUnsupported},
		{"PKCS#8 P-521", pemOf("PRIVATE KEY", p521DER), ErrUnsupported},
		{"SEC 1 P-521", pemOf("EC PRIVATE KEY", p521SEC1), ErrUnsupported},
		{"PKCS#8 X25519", pemOf("PRIVATE KEY", x25519DER), ErrUnsupported},
		{"PKCS#8 Ed448", pkcs8With(asn1Ed448, mustMarshal(t, make([]byte, 57))), ErrUnsupported},
		{"PKCS#8 unknown OID", pkcs8With(asn1.ObjectIdentifier{1, 2, 3}, nil), ErrUnsupported},
		{"PKCS#8 version 2", bytes.Replace(ed.pkcs8(t), []byte("MC4CAQA"), []byte("MC4CAQI"), 1), ErrUnsupported},
		{"OpenSSH RSA", ed.openssh(t, func(p *sshParts) { p.keyType = "ssh-rsa" }), ErrUnsupported},
		{"OpenSSH P-521", ed.openssh(t, func(p *sshParts) { p.keyType = "ecdsa-sha2-nistp521" }), ErrUnsupported},
		{"OpenSSH two keys", ed.openssh(t, func(p *sshParts) { p.count = 2 }), ErrUnsupported},

		{"PKCS#8 truncated", pemOf("PRIVATE KEY", edDER[:len(edDER)-1]), ErrMalformed},
		{"PKCS#8 trailing data", pemOf("PRIVATE KEY", append(bytes.Clone(edDER), 0)), ErrMalformed},
		{"PKCS#8 Ed25519 seed of 31 bytes", pkcs8With(asn1Ed25519, mustMarshal(t, make([]byte, 31))), ErrMalformed},
		{"PKCS#8 Ed25519 with the wrong public key", pemOf("PRIVATE KEY", mustMarshal(t, pkcs8Info{
			Version: 1, Algo: pkix.AlgorithmIdentifier{Algorithm: asn1Ed25519},
			PrivateKey: mustMarshal(t, ed.secret), PublicKey: asn1.BitString{Bytes: make([]byte, 32), BitLength: 256},
		})), ErrMalformed},
		{"DER length not minimal", pemOf("PRIVATE KEY", append([]byte{0x30, 0x81, 0x2e}, edDER[2:]...)), ErrMalformed},
		{"DER indefinite length", pemOf("PRIVATE KEY", append([]byte{0x30, 0x80}, edDER[2:]...)), ErrMalformed},
		{"SEC 1 with the wrong public key", sec1Variant(t, p256, func(k *ecPrivateKey) {
			k.PublicKey = asn1.BitString{Bytes: otherPoint, BitLength: 8 * len(otherPoint)}
		}), ErrMalformed},
		{"SEC 1 without a curve", sec1Variant(t, p256, func(k *ecPrivateKey) { k.NamedCurveOID = nil }), ErrMalformed},
		{"SEC 1 zero scalar", sec1Variant(t, p256, func(k *ecPrivateKey) { k.PrivateKey = make([]byte, 32); k.PublicKey = asn1.BitString{} }), ErrMalformed},
		{"SEC 1 scalar equal to the group order", sec1Variant(t, p256, func(k *ecPrivateKey) { k.PrivateKey = n; k.PublicKey = asn1.BitString{} }), ErrMalformed},
		{"SEC 1 scalar of 33 bytes", sec1Variant(t, p256, func(k *ecPrivateKey) { k.PrivateKey = append([]byte{0}, k.PrivateKey...) }), ErrMalformed},
		{"PKCS#8 EC curve differs from SEC 1's", pemOf("PRIVATE KEY", mustMarshal(t, pkcs8Info{
			Algo:       pkix.AlgorithmIdentifier{Algorithm: asn1EC, Parameters: asn1.RawValue{FullBytes: mustMarshal(t, asn1.ObjectIdentifier{1, 3, 132, 0, 34})}},
			PrivateKey: p256.sec1DER(t),
		})), ErrMalformed},
		{"PKCS#8 EC with another key's public key outside", pemOf("PRIVATE KEY", mustMarshal(t, pkcs8Info{
			Version:    1,
			Algo:       pkix.AlgorithmIdentifier{Algorithm: asn1EC, Parameters: asn1.RawValue{FullBytes: mustMarshal(t, asn1P256)}},
			PrivateKey: p256.sec1DER(t),
			PublicKey:  asn1.BitString{Bytes: otherPoint, BitLength: 8 * len(otherPoint)},
		})), ErrMalformed},
		{"PKCS#8 EC P-521 parameters", pemOf("PRIVATE KEY", mustMarshal(t, pkcs8Info{
			Algo:       pkix.AlgorithmIdentifier{Algorithm: asn1EC, Parameters: asn1.RawValue{FullBytes: mustMarshal(t, asn1P521)}},
			PrivateKey: p256.sec1DER(t),
		})), ErrUnsupported},
		{"OpenSSH check numbers differ", ed.openssh(t, func(p *sshParts) { p.check2++ }), ErrMalformed},
		{"OpenSSH bad padding", ed.openssh(t, func(p *sshParts) {
			p.padding = func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }
		}), ErrMalformed},
		{"OpenSSH public blob of another key", p256.openssh(t, func(p *sshParts) {
			_, p.pubBlob, _ = other.sshFields(t)
		}), ErrMalformed},
		{"OpenSSH Ed25519 private key with another public half", ed.openssh(t, func(p *sshParts) {
			p.fields[len(p.fields)-1] ^= 1
		}), ErrMalformed},
		{"OpenSSH truncated", pemOf("OPENSSH PRIVATE KEY", ed.opensshBinary(t, nil)[:60]), ErrMalformed},
		{"OpenSSH no magic", pemOf("OPENSSH PRIVATE KEY", []byte("openssh-key-v2\x00")), ErrMalformed},
		{"base64 with a bad character", withBody("PRIVATE KEY", "MC4CAQAwBQYDK2VwBCIEI!"), ErrMalformed},
		{"base64 with bad padding", withBody("PRIVATE KEY", "MC4CAQ="), ErrMalformed},
		{"base64 with data after padding", withBody("PRIVATE KEY", "MC4=CAQA"), ErrMalformed},
		{"PEM without END", []byte("-----BEGIN PRIVATE KEY-----\nMC4CAQA=\n"), ErrMalformed},
		{"PEM END of another label", []byte("-----BEGIN PRIVATE KEY-----\nMC4CAQA=\n-----END EC PRIVATE KEY-----\n"), ErrMalformed},
		{"PEM headers without end", []byte("-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED"), ErrMalformed},

		{"empty", nil, ErrNoKey},
		{"a certificate only", pemOf("CERTIFICATE", []byte{1, 2, 3}), ErrNoKey},
		{"31 bytes", make([]byte, 31), ErrNoKey},
		{"33 bytes", make([]byte, 33), ErrNoKey},
		{"32 bytes of text", []byte("0123456789abcdef0123456789abcde\n"), ErrNoKey},
		{"32 bytes of UTF-8 text", []byte("contraseña de la API: 12345\n!!!"), ErrNoKey},
		{"32 bytes of CJK text", []byte("秘密の鍵は誰にも見せ\n\n"), ErrNoKey},
		{"32 bytes of a PEM block", []byte("-----BEGIN PRIVATE KEY-----\nMC4\n"), ErrNoKey},
		{"a public key", pemOf("PUBLIC KEY", []byte{1}), ErrNoKey},
		{"too large", bytes.Repeat([]byte{'a'}, MaxInputSize+1), ErrTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestArena(t)
			s, err := Read(bytes.NewReader(tt.in), InArena(a))
			if !errors.Is(err, tt.want) || s != nil {
				if s != nil {
					s.Close()
				}
				t.Fatalf("Read: %v, %v; want an error wrapping %q", s, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "keys: Read: ") {
				t.Errorf("error %q does not name keys.Read", err)
			}
			if st := a.Stats(); st.Objects != 0 {
				t.Errorf("%d arena objects left after the error", st.Objects)
			}
		})
	}
}

// newTestArena returns an arena closed when the test ends.
func newTestArena(t testing.TB) *arena.Arena {
	t.Helper()
	a, err := arena.NewArena(arena.Name("keys-test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("closing the test arena: %v", err)
		}
	})
	return a
}

// LoadFile reads files of every size class up to MaxInputSize, refuses larger ones before
// reading them, and names the path in its errors.
func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	ed := newFixture(t, Ed25519)
	key := ed.pkcs8(t)
	for _, size := range []int{len(key), firstRead - 1, firstRead, firstRead + 1, 3 * firstRead, MaxInputSize} {
		// Text before the PEM block (skipped) takes the file across buffer sizes.
		filler := bytes.Repeat([]byte("x"), size-len(key))
		if len(filler) > 0 {
			filler[len(filler)-1] = '\n'
		}
		in := append(filler, key...)
		path := filepath.Join(dir, "key.pem")
		if err := os.WriteFile(path, in, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := LoadFile(path)
		if err != nil {
			t.Fatalf("%d-byte file: %v", len(in), err)
		}
		checkSigner(t, s, ed)
		s.Close()
	}

	big := filepath.Join(dir, "big.pem")
	if err := os.WriteFile(big, make([]byte, MaxInputSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(big); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), big) {
		t.Errorf("LoadFile of a file past MaxInputSize: %v, want ErrTooLarge naming the path", err)
	}
	missing := filepath.Join(dir, "missing.pem")
	if _, err := LoadFile(missing); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadFile of a missing file: %v, want os.ErrNotExist naming the path", err)
	}
}

// Read grows its buffer for readers that deliver little at a time, stops at MaxInputSize,
// passes the reader's error on, and gives up on a reader that makes no progress.
func TestReadReaders(t *testing.T) {
	ed := newFixture(t, Ed25519)
	in := append(pemOf("CERTIFICATE", bytes.Repeat([]byte{1}, 3*firstRead)), ed.pkcs8(t)...)
	s, err := readKey(t, nil, InArena(newTestArena(t)))
	if !errors.Is(err, ErrNoKey) {
		t.Fatalf("empty reader: %v, %v", s, err)
	}
	s, err = readKey(t, nil)
	_ = s
	if !errors.Is(err, ErrNoKey) {
		t.Fatal(err)
	}
	s2, err := Read(io.LimitReader(&oneByteReader{r: bytes.NewReader(in)}, int64(len(in))))
	if err != nil {
		t.Fatal(err)
	}
	checkSigner(t, s2, ed)
	s2.Close()

	boom := errors.New("boom")
	if _, err := Read(io.MultiReader(bytes.NewReader(in[:100]), errReader{boom})); !errors.Is(err, boom) {
		t.Errorf("reader failing: %v, want its error", err)
	}
	if _, err := Read(stuckReader{}); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("reader making no progress: %v, want io.ErrNoProgress", err)
	}
	if _, err := Read(endless{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("endless reader: %v, want ErrTooLarge", err)
	}
}

type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p[:min(len(p), 1)]) }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// The PEM reader finds boundaries only at the start of a line and refuses BEGIN lines it
// cannot read; the base64 decoder agrees with encoding/base64 on valid input.
func TestPEMAndBase64(t *testing.T) {
	for _, tt := range []struct {
		in    string
		label string
		ok    bool
		err   bool
	}{
		{"-----BEGIN X-----\nAAAA\n-----END X-----\n", "X", true, false},
		{"junk -----BEGIN X-----\nAAAA\n-----END X-----\n", "", false, false},
		{"-----BEGIN X----\nAAAA\n-----END X-----\n", "", false, true},
		{"-----BEGIN X-----\nAAAA junk-----END X-----\n-----END X-----", "X", true, false},
		{"", "", false, false},
	} {
		b, _, ok, err := nextPEM([]byte(tt.in))
		if ok != tt.ok || (err != nil) != tt.err || string(b.label) != tt.label {
			t.Errorf("nextPEM(%q) = %q, %v, %v", tt.in, b.label, ok, err)
		}
	}
	for n := 0; n < 70; n++ {
		raw := make([]byte, n)
		rand.Read(raw)
		text := pem.EncodeToMemory(&pem.Block{Type: "X", Bytes: raw})
		b, _, ok, err := nextPEM(text)
		if !ok || err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, err := decodeBase64(b.body)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("%d bytes: decoded %x (%v), want %x", n, got, err, raw)
		}
	}
	for c := 0; c < 256; c++ {
		v, ok := base64Value(byte(c))
		want := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", byte(c))
		if (ok != 0) != (want >= 0) || want >= 0 && int(v) != want {
			t.Errorf("base64Value(%q) = %d, %d; want %d", byte(c), v, ok, want)
		}
	}
}

// stdBase64 decodes as decodeBase64 should: encoding/base64's standard encoding, with the
// whitespace decodeBase64 ignores taken out first.
func stdBase64(text []byte) ([]byte, error) {
	var clean []byte
	for _, c := range text {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			clean = append(clean, c)
		}
	}
	return base64.StdEncoding.DecodeString(string(clean))
}
