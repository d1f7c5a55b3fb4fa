package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/clitest"
)

// needTool returns the path of a command-line tool (clitest.NeedTool): CI installs openssl and
// openssh-client.
func needTool(t testing.TB, name string) string {
	t.Helper()
	return clitest.NeedTool(t, name, "openssl and openssh-client")
}

// run runs a tool in dir and fails the test with its output when it fails.
func run(t testing.TB, dir, name string, args ...string) []byte {
	t.Helper()
	return []byte(clitest.Cmd{Dir: dir}.Must(t, name, args...))
}

// Keys made by openssl, in each format it writes, load and give the public key openssl
// derives; its encrypted and unsupported keys get the right sentinels.
func TestOpenSSLKeys(t *testing.T) {
	openssl := needTool(t, "openssl")
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		gen  [][]string // commands, in dir; the key ends up in key.pem
		want error
	}{
		{"genpkey Ed25519 (PKCS#8)", [][]string{{"genpkey", "-algorithm", "ed25519", "-out", "key.pem"}}, nil},
		{"genpkey P-256 (PKCS#8)", [][]string{{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem"}}, nil},
		{"genpkey P-384 (PKCS#8)", [][]string{{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "key.pem"}}, nil},
		{"ecparam -genkey P-256 (EC PARAMETERS, then SEC 1)", [][]string{{"ecparam", "-name", "prime256v1", "-genkey", "-out", "key.pem"}}, nil},
		{"ecparam -genkey P-384 -noout (SEC 1)", [][]string{{"ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "key.pem"}}, nil},
		{"SEC 1 with a compressed public key", [][]string{
			{"ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "plain.pem"},
			{"ec", "-in", "plain.pem", "-conv_form", "compressed", "-out", "key.pem"}}, nil},
		{"PKCS#8, encrypted", [][]string{
			{"genpkey", "-algorithm", "ed25519", "-out", "plain.pem"},
			{"pkey", "-in", "plain.pem", "-aes256", "-passout", "pass:secret", "-out", "key.pem"}}, ErrEncrypted},
		{"SEC 1, encrypted (Proc-Type)", [][]string{
			{"ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "plain.pem"},
			{"ec", "-in", "plain.pem", "-aes256", "-passout", "pass:secret", "-out", "key.pem"}}, ErrEncrypted},
		{"RSA", [][]string{{"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "key.pem"}}, ErrUnsupported},
		{"P-521", [][]string{{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out", "key.pem"}}, ErrUnsupported},
		{"Ed448", [][]string{{"genpkey", "-algorithm", "ed448", "-out", "key.pem"}}, ErrUnsupported},
		{"X25519", [][]string{{"genpkey", "-algorithm", "x25519", "-out", "key.pem"}}, ErrUnsupported},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(dir, strings.NewReplacer(" ", "_", "(", "", ")", "", ",", "").Replace(tt.name))
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			for _, args := range tt.gen {
				run(t, dir, openssl, args...)
			}
			key := filepath.Join(dir, "key.pem")
			s, err := LoadFile(key)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("LoadFile: %v, %v; want an error wrapping %q", s, err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			args := []string{"pkey", "-in", "key.pem", "-pubout", "-outform", "DER"}
			if s.Algorithm() != Ed25519 {
				args = append(args, "-ec_conv_form", "uncompressed") // what crypto/x509 reads
			}
			spki := run(t, dir, openssl, args...)
			want, err := x509.ParsePKIXPublicKey(spki)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
				t.Fatalf("public key %v, openssl says %v", s.Public(), want)
			}
			verifySigns(t, s)
		})
	}
}

// Keys made by ssh-keygen (OpenSSH format, and its PEM and PKCS#8 exports) load and give the
// public key of the .pub file; passphrase-protected and unsupported ones are refused.
func TestSSHKeygenKeys(t *testing.T) {
	keygen := needTool(t, "ssh-keygen")
	dir := t.TempDir()
	for i, tt := range []struct {
		name string
		args []string
		want error
	}{
		{"ed25519", []string{"-t", "ed25519", "-N", ""}, nil},
		{"ecdsa 256", []string{"-t", "ecdsa", "-b", "256", "-N", ""}, nil},
		{"ecdsa 384", []string{"-t", "ecdsa", "-b", "384", "-N", ""}, nil},
		{"ecdsa 256 -m PEM (SEC 1)", []string{"-t", "ecdsa", "-b", "256", "-N", "", "-m", "PEM"}, nil},
		{"ecdsa 384 -m PKCS8", []string{"-t", "ecdsa", "-b", "384", "-N", "", "-m", "PKCS8"}, nil},
		{"ed25519 with a passphrase", []string{"-t", "ed25519", "-N", "secret"}, ErrEncrypted},
		{"ecdsa 521", []string{"-t", "ecdsa", "-b", "521", "-N", ""}, ErrUnsupported},
		{"rsa", []string{"-t", "rsa", "-b", "1024", "-N", ""}, ErrUnsupported},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key := filepath.Join(dir, "key"+string(rune('a'+i)))
			run(t, dir, keygen, append(tt.args, "-q", "-C", "test@example", "-f", key)...)
			s, err := LoadFile(key)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("LoadFile: %v, %v; want an error wrapping %q", s, err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			pubLine, err := os.ReadFile(key + ".pub")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := sshPublicBlob(t, s), authorizedKeyBlob(t, pubLine); !bytes.Equal(got, want) {
				t.Fatalf("public key blob %x, the .pub file has %x", got, want)
			}
			verifySigns(t, s)
		})
	}
}

// authorizedKeyBlob decodes the base64 blob of a "type blob comment" line.
func authorizedKeyBlob(t testing.TB, line []byte) []byte {
	t.Helper()
	f := strings.Fields(string(line))
	if len(f) < 2 {
		t.Fatalf("public key line %q", line)
	}
	b, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sshPublicBlob encodes a Signer's public key as OpenSSH's wire format does.
func sshPublicBlob(t testing.TB, s *Signer) []byte {
	t.Helper()
	str := func(b []byte, s []byte) []byte { return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...) }
	switch pub := s.Public().(type) {
	case ed25519.PublicKey:
		return str(str(nil, []byte("ssh-ed25519")), pub)
	case *ecdsa.PublicKey:
		curve := map[elliptic.Curve]string{elliptic.P256(): "nistp256", elliptic.P384(): "nistp384"}[pub.Curve]
		point, err := pub.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return str(str(str(nil, []byte("ecdsa-sha2-"+curve)), []byte(curve)), point)
	}
	t.Fatalf("public key of type %T", s.Public())
	return nil
}
