package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
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

// Every valid Wycheproof Ed25519 case, with its private key read from a raw seed into an arena
// and signed through the crypto.Signer, gives exactly the expected signature; every invalid one
// fails verification.
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
		s, err := Read(bytes.NewReader(unhex(t, g.Key.SK)))
		if err != nil {
			t.Fatal(err)
		}
		pub := s.Public().(ed25519.PublicKey)
		if hex.EncodeToString(pub) != g.Key.PK {
			t.Errorf("public key %x, want %s", pub, g.Key.PK)
		}
		for _, tc := range g.Tests {
			msg := unhex(t, tc.Msg)
			switch tc.Result {
			case "valid":
				valid++
				got, err := s.Sign(nil, msg, crypto.Hash(0))
				if err != nil || hex.EncodeToString(got) != tc.Sig {
					t.Errorf("case %d: signature %x (%v), want %s", tc.TcID, got, err, tc.Sig)
				}
			case "invalid":
				invalid++
				if ed25519.Verify(pub, msg, unhex(t, tc.Sig)) {
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

// RFC 8032 §7.3's Ed25519ph vector, and Ed25519ctx and Ed25519ph with a context checked by
// crypto/ed25519: the variants sign as the standard library verifies.
func TestEd25519Variants(t *testing.T) {
	// RFC 8032 §7.3, "abc".
	s, err := readKey(t, unhex(t, "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512([]byte("abc"))
	sig, err := s.Sign(nil, sum[:], crypto.SHA512)
	if err != nil {
		t.Fatal(err)
	}
	const want = "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41" +
		"31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
	if hex.EncodeToString(sig) != want {
		t.Errorf("Ed25519ph signature %x, want %s", sig, want)
	}

	pub := s.Public().(ed25519.PublicKey)
	msg := []byte("message")
	for _, tt := range []struct {
		name string
		opts *ed25519.Options
		msg  []byte
	}{
		{"Ed25519ctx", &ed25519.Options{Context: "ctx"}, msg},
		{"Ed25519ph with a context", &ed25519.Options{Hash: crypto.SHA512, Context: "ctx"}, sum[:]},
		{"Ed25519 through Options", &ed25519.Options{}, msg},
	} {
		sig, err := s.Sign(nil, tt.msg, tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if err := ed25519.VerifyWithOptions(pub, tt.msg, sig, tt.opts); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		wrong := &ed25519.Options{Hash: tt.opts.Hash, Context: tt.opts.Context + "x"}
		if ed25519.VerifyWithOptions(pub, tt.msg, sig, wrong) == nil {
			t.Errorf("%s: verifies under another context", tt.name)
		}
	}
	sig, err = s.Sign(nil, msg, nil)
	if err != nil || !ed25519.Verify(pub, msg, sig) {
		t.Errorf("nil options: %v", err)
	}

	for _, tt := range []struct {
		name string
		msg  []byte
		opts crypto.SignerOpts
		want error
	}{
		{"SHA-256", sum[:32], crypto.SHA256, ErrUnsupported},
		{"context too long", msg, &ed25519.Options{Context: string(make([]byte, 256))}, ErrUnsupported},
		{"Ed25519ph digest too short", sum[:32], crypto.SHA512, nil},
	} {
		if _, err := s.Sign(nil, tt.msg, tt.opts); err == nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want an error (wrapping %v)", tt.name, err, tt.want)
		}
	}
}

// sec1Of returns the PEM SEC 1 encoding of a raw P-256 or P-384 scalar.
func sec1Of(t testing.TB, alg Algorithm, d []byte) []byte {
	t.Helper()
	oid := map[Algorithm]asn1.ObjectIdentifier{ECDSAP256: asn1P256, ECDSAP384: {1, 3, 132, 0, 34}}[alg]
	return pemOf("EC PRIVATE KEY", mustMarshal(t, ecPrivateKey{Version: 1, PrivateKey: d, NamedCurveOID: oid}))
}

// RFC 6979 appendix A.2.5 and A.2.6 (message "sample"): keys read from SEC 1 give the published
// public keys and, signed deterministically, exactly the published signatures.
func TestECDSAKnownAnswers(t *testing.T) {
	for _, tt := range []struct {
		alg     Algorithm
		hash    crypto.Hash
		d, x, y string
		r, s    string
	}{
		{ECDSAP256, crypto.SHA256,
			"c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
			"60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6",
			"7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
			"efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
			"f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"},
		{ECDSAP384, crypto.SHA384,
			"6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5",
			"ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64def8f0ea9055866064a254515480bc13",
			"8015d9b72d7d57244ea8ef9ac0c621896708a59367f9dfb9f54ca84b3f1c9db1288b231c3ae0d4fe7344fd2533264720",
			"94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fabe46",
			"99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8"},
	} {
		t.Run(tt.alg.String(), func(t *testing.T) {
			s, err := readKey(t, sec1Of(t, tt.alg, unhex(t, tt.d)))
			if err != nil {
				t.Fatal(err)
			}
			point, err := s.Public().(*ecdsa.PublicKey).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(point); got != "04"+tt.x+tt.y {
				t.Errorf("public key %s, want 04 || %s || %s", got, tt.x, tt.y)
			}
			sig, err := s.Sign(nil, digest(tt.hash, []byte("sample")), tt.hash)
			if err != nil {
				t.Fatal(err)
			}
			var rs struct{ R, S *big.Int }
			if _, err := asn1.Unmarshal(sig, &rs); err != nil {
				t.Fatal(err)
			}
			if rs.R.Text(16) != tt.r || rs.S.Text(16) != tt.s {
				t.Errorf("signature (%x, %x), want (%s, %s)", rs.R, rs.S, tt.r, tt.s)
			}
		})
	}
}

// Hedged signatures from generated keys verify, differ from one another, and fail for another
// digest; a digest that is not the named hash's length is refused.
func TestGenerateAndSign(t *testing.T) {
	for _, alg := range []Algorithm{Ed25519, ECDSAP256, ECDSAP384} {
		t.Run(alg.String(), func(t *testing.T) {
			s, err := Generate(alg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Algorithm() != alg {
				t.Fatalf("algorithm %v", s.Algorithm())
			}
			verifySigns(t, s)
			if alg == Ed25519 {
				return
			}
			pub := s.Public().(*ecdsa.PublicKey)
			seen := map[string]bool{}
			for i := 0; i < 20; i++ {
				sum := sha256.Sum256([]byte{byte(i)})
				sig, err := s.Sign(rand.Reader, sum[:], crypto.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				if !ecdsa.VerifyASN1(pub, sum[:], sig) || seen[string(sig)] {
					t.Fatalf("signature %d does not verify or repeats", i)
				}
				seen[string(sig)] = true
			}
			if _, err := s.Sign(rand.Reader, make([]byte, 20), crypto.SHA256); err == nil {
				t.Error("a 20-byte digest signed as SHA-256")
			}
		})
	}
	if _, err := Generate(Algorithm(0)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Generate(0): %v, want ErrUnsupported", err)
	}
}

// The key's bytes fault outside the domain, for every algorithm: reading them is a
// guard.Violation naming the key's arena. After Close, Sign fails with arena.ErrClosed and a
// second Close is nil.
func TestKeyNotReadableOutside(t *testing.T) {
	for _, alg := range []Algorithm{Ed25519, ECDSAP256, ECDSAP384} {
		s, err := Generate(alg, ArenaOptions(arena.Name("signing-key")))
		if err != nil {
			t.Fatal(err)
		}
		var sink byte
		err = guard.Catch(func() { sink = s.key.bytes()[0] })
		var v *guard.Violation
		if !errors.As(err, &v) || v.Arena != "signing-key" {
			t.Fatalf("%v: reading the key outside the domain: %v, want a Violation in signing-key", alg, err)
		}
		_ = sink
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Sign(nil, make([]byte, 32), crypto.SHA256); !errors.Is(err, arena.ErrClosed) {
			t.Errorf("%v: Sign after Close: %v, want arena.ErrClosed", alg, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if s.Public() == nil {
			t.Error("no public key after Close")
		}
	}
}

// With protection keys, the key is readable only on the thread inside its domain: while one
// goroutine is inside (as Sign is), a read from another faults.
func TestKeyPerThread(t *testing.T) {
	pkutest.RequirePKU(t)
	s, err := Generate(Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inside, probed := make(chan struct{}), make(chan struct{})
	var insideRead byte
	go func() {
		tok := s.home.dom.Enter()
		insideRead = s.key.bytes()[0] | 1 // readable here
		close(inside)
		<-probed
		tok.Exit()
	}()
	<-inside
	var sink byte
	err = guard.Catch(func() { sink = s.key.bytes()[0] })
	close(probed)
	var v *guard.Violation
	if !errors.As(err, &v) {
		t.Fatalf("reading the key from another thread while one is inside: %v, want a Violation", err)
	}
	_, _ = sink, insideRead
}

// Keys in a shared arena (InArena): each Close wipes and frees exactly its key's bytes and
// leaves the arena open for the others.
func TestInArena(t *testing.T) {
	a := newTestArena(t)
	var signers []*Signer
	for _, alg := range []Algorithm{Ed25519, ECDSAP256, ECDSAP384} {
		s, err := Generate(alg, InArena(a))
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, s)
	}
	f := newFixture(t, ECDSAP384)
	s, err := readKey(t, f.pkcs8(t), InArena(a))
	if err != nil {
		t.Fatal(err)
	}
	signers = append(signers, s)
	if got := a.Stats().Objects; got != 4 {
		t.Fatalf("%d objects in the shared arena, want 4 keys (the input buffer freed)", got)
	}
	for i, s := range signers {
		key := s.key.bytes()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if got := a.Stats().Objects; got != int64(3-i) {
			t.Fatalf("after closing key %d: %d objects, want %d", i, got, 3-i)
		}
		wiped := true
		if err := withArena(a, func() {
			for _, b := range key {
				wiped = wiped && b == 0
			}
		}); err != nil {
			t.Fatal(err)
		}
		if !wiped {
			t.Errorf("key %d not wiped by Close", i)
		}
		for _, other := range signers[i+1:] {
			verifySigns(t, other)
		}
	}
	if a.Closed() {
		t.Fatal("closing the keys closed the caller's arena")
	}

	// The caller closes the arena under a live key: Sign reports it, Close has nothing left to
	// wipe, and neither panics.
	b, err := arena.NewArena(arena.Name("closed-under"))
	if err != nil {
		t.Fatal(err)
	}
	late, err := Generate(Ed25519, InArena(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := late.Sign(nil, []byte("m"), crypto.Hash(0)); !errors.Is(err, arena.ErrClosed) {
		t.Errorf("Sign after the arena's Close: %v, want arena.ErrClosed", err)
	}
	if err := late.Close(); err != nil {
		t.Errorf("Close after the arena's Close: %v", err)
	}
	if got := signers[0].String(); !bytes.Contains([]byte(got), []byte("Ed25519")) || !bytes.Contains([]byte(got), []byte("keys-test")) {
		t.Errorf("String() = %q, want the algorithm and the arena", got)
	}
}

// Concurrent signatures from many goroutines verify, and a Close racing with them waits for
// those in progress: each Sign either succeeds or reports arena.ErrClosed.
func TestConcurrentSignAndClose(t *testing.T) {
	for _, alg := range []Algorithm{Ed25519, ECDSAP256} {
		s, err := Generate(alg)
		if err != nil {
			t.Fatal(err)
		}
		opts := crypto.SHA256
		if alg == Ed25519 {
			opts = crypto.Hash(0)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 8*20)
		for g := 0; g < 8; g++ {
			wg.Go(func() {
				<-start
				for i := 0; i < 20; i++ {
					msg := sha256.Sum256([]byte{byte(g), byte(i)})
					sig, err := s.Sign(rand.Reader, msg[:], opts)
					switch {
					case errors.Is(err, arena.ErrClosed):
					case err != nil:
						errs <- err
					case !verifies(s.Public(), msg[:], sig):
						errs <- errors.New("a concurrent signature does not verify")
					}
				}
			})
		}
		close(start)
		wg.Go(func() {
			if err := s.Close(); err != nil {
				errs <- err
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("%v: %v", alg, err)
		}
	}
}

func verifies(pub crypto.PublicKey, msg, sig []byte) bool {
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		return ed25519.Verify(pub, msg, sig)
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(pub, msg, sig)
	}
	return false
}

// withArena runs fn inside a domain over a.
func withArena(a *arena.Arena, fn func()) error {
	d, err := domain.New(domain.ReadWrite(a))
	if err != nil {
		return err
	}
	return d.Do(func() error {
		fn()
		return nil
	})
}
