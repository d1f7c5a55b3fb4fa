package keys

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/guard"
)

// %#v (and every other verb) prints the Signer's description, never its fields, which point at
// the key in the arena: outside a domain reading them would fault the process.
func TestSignerFormats(t *testing.T) {
	s, err := readKey(t, newFixture(t, Ed25519).pkcs8(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		if got := fmt.Sprintf(verb, s); !strings.Contains(got, "keys.Signer{Ed25519") {
			t.Errorf("%s: %q", verb, got)
		}
		// A Signer value (a copy, which Format cannot intercept; reflect stands for it here,
		// since vet refuses copies of its lock) prints its fields: the key's is a pointer,
		// printed as an address, and nothing reads the key.
		var got string
		if err := guard.Catch(func() { got = fmt.Sprintf(verb, reflect.ValueOf(s).Elem()) }); err != nil {
			t.Errorf("%s of a Signer value: %v", verb, err)
		}
		_ = got
	}
}

// A deterministic ECDSA signature (random nil) without a hash in opts is refused with an error:
// crypto/ecdsa would panic inside the domain.
func TestECDSADeterministicNeedsHash(t *testing.T) {
	s, err := readKey(t, newFixture(t, ECDSAP256).pkcs8(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := digest(crypto.SHA256, []byte("m"))
	for _, opts := range []crypto.SignerOpts{nil, crypto.Hash(0)} {
		if _, err := s.Sign(nil, d, opts); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Sign(nil, digest, %v): %v, want ErrUnsupported", opts, err)
		}
	}
}

// A reader that panics leaves nothing allocated: the buffer it was filling is wiped and freed.
func TestPanickingReaderLeavesNothing(t *testing.T) {
	a, err := arena.NewArena(arena.Name("caller"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	func() {
		defer func() {
			if r := recover(); r != "reader panics" {
				t.Errorf("recovered %v", r)
			}
		}()
		Read(panicReader{}, InArena(a))
	}()
	if st := a.Stats(); st.Objects != 0 {
		t.Errorf("%d objects left in the caller's arena after a panicking reader", st.Objects)
	}
}

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("reader panics") }

var _ io.Reader = panicReader{}
