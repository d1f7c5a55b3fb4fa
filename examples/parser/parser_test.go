package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/guard"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDemo(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"well-formed input:  2 records", `malicious input:    caught`, `arena "secrets"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}

func TestMalformed(t *testing.T) {
	sb, err := NewSandbox()
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTooBig},
		{"bad magic", []byte("XXXX\x00\x01"), ErrFormat},
		{"truncated record", encode(rec{1, 3, "ab"}, rec{2, 1, ""})[:len(encode(rec{1, 3, "ab"}))-1], ErrFormat},
		{"over-read past the input region", encode(rec{1, 65535, "x"}), guard.ErrViolation},
	}
	for _, tt := range tests {
		recs, err := sb.Parse(tt.in)
		if !errors.Is(err, tt.want) || recs != nil {
			t.Errorf("%s: %v (%d records), want %v", tt.name, err, len(recs), tt.want)
		}
	}
	if st := sb.output.Stats(); st.Objects != 0 {
		t.Errorf("rejected inputs left %d objects in the output arena", st.Objects)
	}
}

// FuzzParse: whatever the input, the service survives; the parser returns records, a format
// error, or a Violation, and never hands out the service's secret.
func FuzzParse(f *testing.F) {
	f.Add(encode(rec{1, 5, "hello"}))
	f.Add(encode(rec{1, 65535, "hello"}))
	f.Add([]byte("PKA1\x00\x03\x01\x00\x02hi\x02\xff\xffz"))
	secret := []byte("service-private-key-do-not-leak!")
	secrets, err := arena.NewArena(arena.Name("secrets"))
	if err != nil {
		f.Fatal(err)
	}
	defer secrets.Close()
	key, _ := secrets.Alloc(len(secret))
	service, _ := domain.New(domain.ReadWrite(secrets))
	service.Do(func() error { copy(key, secret); return nil })
	sb, err := NewSandbox()
	if err != nil {
		f.Fatal(err)
	}
	defer sb.Close()
	f.Fuzz(func(t *testing.T, in []byte) {
		recs, err := sb.Parse(in)
		switch {
		case err == nil:
		case errors.Is(err, ErrFormat), errors.Is(err, ErrTooBig), errors.Is(err, guard.ErrViolation):
			return
		default:
			t.Fatalf("unexpected error: %v", err)
		}
		defer sb.Release(recs)
		sb.parser.Do(func() error {
			for _, r := range recs {
				if bytes.Contains(r.Value, secret[:16]) {
					t.Fatalf("the parser returned the service's secret")
				}
			}
			return nil
		})
	})
}
