package main

import (
	"crypto"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/pkeyarena/pkeyarena/guard"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestServesHTTPS(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"(Ed25519)", "(ECDSA P-256)"} {
		if !strings.Contains(out.String(), "signed by a key no other code can read "+kind) {
			t.Fatalf("no %s answer: %q", kind, out.String())
		}
	}
	t.Log(out.String())
}

// The key's bytes fault outside the domain: reading them is a guard.Violation.
func TestKeyNotReadableOutside(t *testing.T) {
	s, err := NewSigner(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var sink byte
	err = guard.Catch(func() { sink = s.key[0] })
	var v *guard.Violation
	if !errors.As(err, &v) || v.Arena != "signing-key" {
		t.Fatalf("reading the key outside the domain: %v, want a Violation in signing-key", err)
	}
	_ = sink
	if _, err := s.Sign(nil, []byte("m"), crypto.SHA256); err == nil {
		t.Error("Sign accepted a hash option for Ed25519")
	}
}

// wycheproofFile holds Project Wycheproof's Ed25519 vectors (source and license beside it).
var wycheproofFile = filepath.Join("testdata", "wycheproof", "eddsa_test.json")

type wycheproof struct {
	TestGroups []struct {
		Key struct {
			SK, PK string
		}
		Tests []struct {
			TcID   int
			Msg    string
			Sig    string
			Result string
		}
	}
}

// Every valid Wycheproof Ed25519 case, with its private key held only in an arena and signed
// through the crypto.Signer, gives exactly the expected signature; every invalid one fails
// verification.
func TestWycheproofEd25519(t *testing.T) {
	data, err := os.ReadFile(wycheproofFile)
	if err != nil {
		t.Fatal(err)
	}
	var w wycheproof
	if err := json.Unmarshal(data, &w); err != nil {
		t.Fatal(err)
	}
	valid, invalid := 0, 0
	for _, g := range w.TestGroups {
		seed, _ := hex.DecodeString(g.Key.SK)
		s, err := NewSigner(seed)
		clear(seed)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(s.pub) != g.Key.PK {
			t.Errorf("public key %x, want %s", s.pub, g.Key.PK)
		}
		for _, tc := range g.Tests {
			msg, _ := hex.DecodeString(tc.Msg)
			want, _ := hex.DecodeString(tc.Sig)
			switch tc.Result {
			case "valid":
				valid++
				got, err := s.Sign(nil, msg, crypto.Hash(0))
				if err != nil || hex.EncodeToString(got) != tc.Sig {
					t.Errorf("case %d: signature %x (%v), want %s", tc.TcID, got, err, tc.Sig)
				}
			case "invalid":
				invalid++
				if ed25519.Verify(s.pub, msg, want) {
					t.Errorf("case %d: an invalid signature verified", tc.TcID)
				}
			}
		}
		s.Close()
	}
	if valid == 0 || invalid == 0 {
		t.Fatalf("%d valid and %d invalid cases: the file held no tests", valid, invalid)
	}
	t.Logf("%d valid cases signed exactly, %d invalid cases rejected", valid, invalid)
}
