package keys

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzArena runs one parse of in through Read into a shared arena and fails when it panics
// (the fuzzer reports that itself), returns an error that wraps none of the package's
// sentinels, or leaves an arena allocation behind.
func fuzzRead(t *testing.T, h *home, in []byte) {
	s, err := Read(bytes.NewReader(in), InArena(h.arena))
	switch {
	case err == nil:
		verifySigns(t, s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	case !errors.Is(err, ErrEncrypted) && !errors.Is(err, ErrUnsupported) &&
		!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoKey) && !errors.Is(err, ErrTooLarge):
		t.Fatalf("error without a sentinel: %v", err)
	}
	if n := h.arena.Stats().Objects; n != 0 {
		t.Fatalf("%d arena allocations left behind (err %v)", n, err)
	}
}

// fuzzHome is the arena the fuzz targets share, closed when the fuzz test ends.
func fuzzHome(f *testing.F) *home {
	h, err := newHome(config{arena: newTestArena(f)})
	if err != nil {
		f.Fatal(err)
	}
	return h
}

// FuzzRead feeds whole inputs (PEM, raw seeds, anything) to Read.
func FuzzRead(f *testing.F) {
	for _, alg := range []Algorithm{Ed25519, ECDSAP256, ECDSAP384} {
		fx := newFixture(f, alg)
		f.Add(fx.pkcs8(f))
		f.Add(fx.openssh(f, nil))
		if alg != Ed25519 {
			f.Add(fx.sec1(f))
		}
	}
	f.Add(make([]byte, 32))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END PRIVATE KEY-----\n"))
	h := fuzzHome(f)
	f.Fuzz(func(t *testing.T, in []byte) { fuzzRead(t, h, in) })
}

// FuzzDER feeds DER to the PKCS#8 and SEC 1 readers (wrapped in PEM, so that every byte
// reaches the DER reader).
func FuzzDER(f *testing.F) {
	for _, alg := range []Algorithm{Ed25519, ECDSAP256, ECDSAP384} {
		fx := newFixture(f, alg)
		f.Add(fx.pkcs8DER(f), false)
		if alg != Ed25519 {
			f.Add(fx.sec1DER(f), true)
		}
	}
	h := fuzzHome(f)
	f.Fuzz(func(t *testing.T, der []byte, sec1 bool) {
		label := "PRIVATE KEY"
		if sec1 {
			label = "EC PRIVATE KEY"
		}
		fuzzRead(t, h, pemOf(label, der))
	})
}

// FuzzOpenSSH feeds the binary OpenSSH key format to its reader.
func FuzzOpenSSH(f *testing.F) {
	for _, alg := range []Algorithm{Ed25519, ECDSAP256, ECDSAP384} {
		f.Add(newFixture(f, alg).opensshBinary(f, nil))
	}
	h := fuzzHome(f)
	f.Fuzz(func(t *testing.T, bin []byte) { fuzzRead(t, h, pemOf("OPENSSH PRIVATE KEY", bin)) })
}

// FuzzBase64 checks the constant-time decoder against encoding/base64 on any text.
func FuzzBase64(f *testing.F) {
	f.Add([]byte("MC4CAQAwBQYDK2VwBCIEI\nAAA="))
	f.Add([]byte("AA=="))
	f.Fuzz(func(t *testing.T, text []byte) {
		want, wantErr := stdBase64(text)
		got, err := decodeBase64(bytes.Clone(text))
		if (err != nil) != (wantErr != nil) || err == nil && !bytes.Equal(got, want) {
			t.Fatalf("decodeBase64(%q) = %x, %v; encoding/base64: %x, %v", text, got, err, want, wantErr)
		}
	})
}
