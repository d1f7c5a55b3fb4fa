package main

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Both keys serve a handshake and a page; the answer names the key's algorithm.
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
