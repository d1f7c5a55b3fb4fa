package secrets_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/secrets"
)

func TestFromBytesWipesTheSource(t *testing.T) {
	st, a := newStore(t)
	src := []byte("correct horse battery staple")
	s, err := st.FromBytes(src)
	if err != nil {
		t.Fatal(err)
	}
	if !isZero(src) {
		t.Errorf("source after FromBytes: %q, want zeros", src)
	}
	if got := contents(t, s); got != "correct horse battery staple" {
		t.Errorf("secret holds %q", got)
	}
	if s.Len() != len(src) || objects(a) != 1 {
		t.Errorf("Len %d, arena objects %d; want %d and 1", s.Len(), objects(a), len(src))
	}
}

// A reader that records the buffers it is given, to show that they are arena memory.
type recordingReader struct {
	r    io.Reader
	bufs [][]byte
}

func (r *recordingReader) Read(p []byte) (int, error) {
	r.bufs = append(r.bufs, p)
	return r.r.Read(p)
}

func TestFromReaderReadsIntoTheArena(t *testing.T) {
	st, _ := newStore(t)
	r := &recordingReader{r: io.MultiReader(strings.NewReader("0123"), strings.NewReader("4567"))}
	s, err := st.FromReader(r, 8)
	if err != nil {
		t.Fatal(err)
	}
	if got := contents(t, s); got != "01234567" {
		t.Errorf("secret holds %q", got)
	}
	held := holdSlice(t, s)
	for i, p := range r.bufs {
		if &p[:cap(p)][cap(p)-1] != &held[len(held)-1] {
			t.Errorf("Read #%d got a buffer that does not end where the secret does", i)
		}
		if !pkutest.ReadFault(p) {
			t.Errorf("Read #%d got a buffer readable outside Use: not arena memory", i)
		}
	}
	if len(r.bufs) != 2 {
		t.Errorf("%d reads, want 2 (one per part of the input)", len(r.bufs))
	}
}

func TestFromReaderErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		r    io.Reader
		want error
	}{
		{"empty", strings.NewReader(""), io.EOF},
		{"short", strings.NewReader("abc"), io.ErrUnexpectedEOF},
		{"failing", io.MultiReader(strings.NewReader("ab"), iotestErr{boom}), boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, a := newStore(t)
			s, err := st.FromReader(tc.r, 8)
			if !errors.Is(err, tc.want) || s != (secrets.Secret{}) {
				t.Fatalf("FromReader: %v, %v; want nil and an error wrapping %v", s, err, tc.want)
			}
			if n := objects(a); n != 0 {
				t.Errorf("%d objects left in the arena after a failed read", n)
			}
		})
	}
}

type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }

// A reader that panics halfway: the panic goes on, the slot is wiped and freed.
type panicReader struct{ held []byte }

func (r *panicReader) Read(p []byte) (int, error) {
	copy(p, "partial")
	r.held = p
	panic("reader failed")
}

func TestFromReaderPanics(t *testing.T) {
	st, a := newStore(t)
	r := &panicReader{}
	func() {
		defer func() {
			if v := recover(); v != "reader failed" {
				t.Errorf("recovered %v, want the reader's panic", v)
			}
		}()
		st.FromReader(r, 16)
	}()
	if n := objects(a); n != 0 {
		t.Errorf("%d objects left after a panicking reader", n)
	}
	look, _ := domain.New(domain.ReadOnly(a))
	look.Do(func() error {
		if !isZero(r.held) {
			t.Errorf("freed slot holds %q, want it wiped", r.held)
		}
		return nil
	})
}

func TestRandom(t *testing.T) {
	st, _ := newStore(t)
	x, err := st.Random(32)
	if err != nil {
		t.Fatal(err)
	}
	y, err := st.Random(32)
	if err != nil {
		t.Fatal(err)
	}
	a, b := contents(t, x), contents(t, y)
	if len(a) != 32 || len(b) != 32 {
		t.Fatalf("lengths %d and %d, want 32", len(a), len(b))
	}
	if a == b || isZero([]byte(a)) {
		t.Errorf("two random secrets: %x and %x", a, b)
	}
}

func TestInvalidSizes(t *testing.T) {
	st, a := newStore(t)
	for _, tc := range []struct {
		name string
		make func() (secrets.Secret, error)
	}{
		{"FromBytes(empty)", func() (secrets.Secret, error) { return st.FromBytes(nil) }},
		{"FromReader(0)", func() (secrets.Secret, error) {
			return st.FromReader(bytes.NewReader(nil), 0)
		}},
		{"Random(0)", func() (secrets.Secret, error) { return st.Random(0) }},
		{"Random(-1)", func() (secrets.Secret, error) { return st.Random(-1) }},
	} {
		s, err := tc.make()
		if !errors.Is(err, arena.ErrInvalidSize) || s != (secrets.Secret{}) {
			t.Errorf("%s: %v, %v; want an error wrapping arena.ErrInvalidSize", tc.name, s, err)
		}
	}
	if n := objects(a); n != 0 {
		t.Errorf("%d objects after refused sizes", n)
	}
}

func TestNewStoreRefuses(t *testing.T) {
	if _, err := secrets.NewStore(nil); !errors.Is(err, domain.ErrInvalidGrant) {
		t.Errorf("NewStore(nil): %v, want ErrInvalidGrant", err)
	}
	a := arenatest.NewArena(t)
	a.Close()
	if _, err := secrets.NewStore(a); !errors.Is(err, domain.ErrInvalidGrant) {
		t.Errorf("NewStore(closed arena): %v, want ErrInvalidGrant", err)
	}
}

// The package-level constructors share one Store: their Secrets compare across constructors
// in one domain visit, and none takes an arena of its own.
func TestDefaultStore(t *testing.T) {
	src := []byte("shared")
	x, err := secrets.FromBytes(src)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Destroy()
	y, err := secrets.FromReader(strings.NewReader("shared"), 6)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Destroy()
	z, err := secrets.Random(6)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Destroy()
	if !isZero(src) || !x.Equal(y) || x.Equal(z) {
		t.Errorf("default store: source %q, x==y %v, x==z %v", src, x.Equal(y), x.Equal(z))
	}
	first, again := secrets.DefaultArena(), secrets.DefaultArena()
	if first != again || first == nil {
		t.Fatal("the default arena is not one arena")
	}
	if n := first.Stats().Objects; n < 3 {
		t.Errorf("default arena holds %d objects, want the 3 secrets at least", n)
	}
}
