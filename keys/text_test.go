package keys

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// textRef is isText's rule written plainly: valid UTF-8 whose runes are printable ASCII, tab,
// newline, carriage return, or U+00A0 and above.
func textRef(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !(r >= 0x20 && r < 0x7f || r == '\t' || r == '\n' || r == '\r' || r >= 0xA0) {
			return false
		}
	}
	return true
}

func TestIsText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		text bool
	}{
		{"", true},
		{"plain ASCII, tabs\tand\r\nnewlines", true},
		{"contraseña", true},
		{"пароль", true},
		{"秘密", true},
		{"🔑 key", true},
		{"\u00a0no-break space", true},
		{"\U0010FFFF", true},
		{"\x00", false},
		{"\x7f", false},
		{"\u0085", false},           // a C1 control (NEL)
		{"\xc0\x80", false},         // overlong NUL
		{"\xc1\xbf", false},         // overlong
		{"\xe0\x80\xaf", false},     // overlong
		{"\xed\xa0\x80", false},     // a surrogate
		{"\xf0\x80\x80\xaf", false}, // overlong
		{"\xf4\x90\x80\x80", false}, // past U+10FFFF
		{"\xf5\x80\x80\x80", false},
		{"\x80", false},  // a lone continuation byte
		{"ñ\xc3", false}, // cut short
		{"\xe2\x82", false},
	} {
		if got := isText([]byte(tt.in)); got != tt.text || textRef([]byte(tt.in)) != tt.text {
			t.Errorf("isText(%q) = %v, reference %v; want %v", tt.in, got, textRef([]byte(tt.in)), tt.text)
		}
	}
	// Random bytes, and random runes of every length, against the reference; random 32-byte
	// seeds are never text.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200_000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if isText(b) != textRef(b) {
			t.Fatalf("isText(%q) = %v, reference %v", b, isText(b), textRef(b))
		}
		r := []rune{rune(rng.IntN(utf8.MaxRune + 1)), rune(rng.IntN(0x800)), rune(rng.IntN(0x80))}
		s := []byte(string(r))
		if isText(s) != textRef(s) {
			t.Fatalf("isText(%q) = %v, reference %v", s, isText(s), textRef(s))
		}
		seed := make([]byte, seedSize)
		for i := range seed {
			seed[i] = byte(rng.Uint32())
		}
		if isText(seed) {
			t.Fatalf("random seed %x taken for text", seed)
		}
	}
}

// FuzzIsText checks isText against its plain reference.
func FuzzIsText(f *testing.F) {
	f.Add([]byte("contraseña"))
	f.Add([]byte("\xed\xa0\x80"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if isText(b) != textRef(b) {
			t.Fatalf("isText(%q) = %v, reference %v", b, isText(b), textRef(b))
		}
	})
}
