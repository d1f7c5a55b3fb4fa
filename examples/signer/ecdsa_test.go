package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"github.com/pkeyarena/pkeyarena/guard"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 6979, appendix A.2.5 (P-256, SHA-256, message "sample"): the key held in an arena gives
// the published public key and, signing deterministically, exactly the published signature.
func TestECDSAKnownAnswer(t *testing.T) {
	scalar := unhex(t, "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
	s, err := NewECDSASignerFromScalar(scalar)
	clear(scalar)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pub, err := s.Public().(*ecdsa.PublicKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	const wantPub = "04" + // uncompressed: X then Y
		"60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6" +
		"7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
	if got := hex.EncodeToString(pub); got != wantPub {
		t.Errorf("public key %s, want %s", got, wantPub)
	}
	digest := sha256.Sum256([]byte("sample"))
	sig, err := s.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		t.Fatal(err)
	}
	if got, want := rs.R.Text(16), "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"; got != want {
		t.Errorf("r %s, want %s", got, want)
	}
	if got, want := rs.S.Text(16), "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"; got != want {
		t.Errorf("s %s, want %s", got, want)
	}
}

// Hedged signatures from a fresh key verify, differ from one another, and fail for another
// digest.
func TestECDSASignVerify(t *testing.T) {
	s, err := NewECDSASigner()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pub := s.Public().(*ecdsa.PublicKey)
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		digest := sha256.Sum256([]byte{byte(i)})
		sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			t.Fatalf("signature %d does not verify", i)
		}
		other := sha256.Sum256([]byte{byte(i), 1})
		if ecdsa.VerifyASN1(pub, other[:], sig) {
			t.Fatalf("signature %d verifies for another digest", i)
		}
		if seen[string(sig)] {
			t.Fatal("a hedged signature repeated")
		}
		seen[string(sig)] = true
	}
}

// The scalar's bytes fault outside the domain; a transient key's big.Int is wiped after use.
func TestECDSAKeyNotReadableOutside(t *testing.T) {
	s, err := NewECDSASigner()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var sink byte
	err = guard.Catch(func() { sink = s.KeyBytes()[0] })
	var v *guard.Violation
	if !errors.As(err, &v) || v.Arena != "ecdsa-key" {
		t.Fatalf("reading the scalar outside the domain: %v, want a Violation in ecdsa-key", err)
	}
	_ = sink

	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 the test looks at the scalar wipeScalar must clear
	words := priv.D.Bits()
	wipeScalar(priv)
	for i, w := range words {
		if w != 0 {
			t.Fatalf("word %d of the scalar survived the wipe", i)
		}
	}
}

// Scalars that are not P-256 private keys are refused, and nothing is left behind.
func TestECDSABadScalars(t *testing.T) {
	n := elliptic.P256().Params().N
	for _, tt := range []struct {
		name   string
		scalar []byte
	}{
		{"zero", make([]byte, 32)},
		{"the group order", n.FillBytes(make([]byte, 32))},
		{"all ones", unhex(t, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")},
		{"short", make([]byte, 31)},
		{"long", make([]byte, 33)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := NewECDSASignerFromScalar(tt.scalar); err == nil {
				s.Close()
				t.Fatal("accepted")
			}
		})
	}
}
