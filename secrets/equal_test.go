package secrets_test

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/secrets"
)

func TestEqual(t *testing.T) {
	st, _ := newStore(t)
	other, _ := newStore(t)
	abc := mustFromBytes(t, st, "abc")
	destroyed := mustFromBytes(t, st, "abc")
	destroyed.Destroy()
	for _, tc := range []struct {
		name string
		s, o secrets.Secret
		want bool
	}{
		{"same bytes", abc, mustFromBytes(t, st, "abc"), true},
		{"itself", abc, abc, true},
		{"other Store", abc, mustFromBytes(t, other, "abc"), true},
		{"other Store, other bytes", abc, mustFromBytes(t, other, "abd"), false},
		{"last byte", abc, mustFromBytes(t, st, "abd"), false},
		{"first byte", abc, mustFromBytes(t, st, "xbc"), false},
		{"prefix", abc, mustFromBytes(t, st, "ab"), false},
		{"longer", abc, mustFromBytes(t, st, "abca"), false},
		{"repeated", abc, mustFromBytes(t, st, "abcabc"), false},
		{"destroyed", abc, destroyed, false},
		{"zero", abc, secrets.Secret{}, false},
	} {
		if got := tc.s.Equal(tc.o); got != tc.want {
			t.Errorf("%s: Equal = %v, want %v", tc.name, got, tc.want)
		}
		if got := tc.o.Equal(tc.s); got != tc.want {
			t.Errorf("%s, swapped: Equal = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := contents(t, abc); got != "abc" {
		t.Errorf("Equal changed the secret to %q", got)
	}
}

func TestEqualBytes(t *testing.T) {
	st, _ := newStore(t)
	s := mustFromBytes(t, st, "secret")
	for _, tc := range []struct {
		b    string
		want bool
	}{
		{"secret", true},
		{"secreT", false},
		{"Secret", false},
		{"secre", false},
		{"secrets", false},
		{"secretsecret", false}, // cycles through the secret: the length must still differ
		{"", false},
	} {
		if got := s.EqualBytes([]byte(tc.b)); got != tc.want {
			t.Errorf("EqualBytes(%q) = %v, want %v", tc.b, got, tc.want)
		}
	}
}

// equal agrees with bytes.Equal for every non-empty secret and any guess.
func FuzzEqual(f *testing.F) {
	st, _ := newStore(f)
	f.Add([]byte("a"), []byte("a"))
	f.Add([]byte("ab"), []byte("abab"))
	f.Add([]byte("abc"), []byte(""))
	f.Add([]byte{0}, []byte{0, 0})
	f.Fuzz(func(t *testing.T, secret, guess []byte) {
		if len(secret) == 0 {
			return
		}
		want := string(secret) == string(guess)
		s, err := st.FromBytes(append([]byte(nil), secret...))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Destroy()
		if got := s.EqualBytes(guess); got != want {
			t.Errorf("EqualBytes(%q) of %q = %v", guess, secret, got)
		}
		if len(guess) > 0 {
			g, err := st.FromBytes(append([]byte(nil), guess...))
			if err != nil {
				t.Fatal(err)
			}
			defer g.Destroy()
			if got := s.Equal(g); got != want {
				t.Errorf("Equal of %q and %q = %v", secret, guess, got)
			}
		}
	})
}
