package secrets_test

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/secrets"
)

const planted = "hunter2-correct-horse"

// leaks reports which encoding of planted out contains, or "".
func leaks(out string) string {
	for name, enc := range map[string]string{
		"raw":       planted,
		"hex":       hex.EncodeToString([]byte(planted)),
		"HEX":       strings.ToUpper(hex.EncodeToString([]byte(planted))),
		"base64":    base64.StdEncoding.EncodeToString([]byte(planted)),
		"decimal":   strings.Trim(fmt.Sprint([]byte(planted)), "[]"),
		"go syntax": strings.Trim(fmt.Sprintf("%#v", []byte(planted)), "[]byte{}"),
	} {
		if strings.Contains(out, enc) {
			return name
		}
	}
	return ""
}

type config struct {
	Name   string
	Key    secrets.Secret
	KeyPtr *secrets.Secret
	hidden secrets.Secret
	List   []secrets.Secret
	ByName map[string]secrets.Secret
}

type xmlDoc struct{ Key, hidden secrets.Secret }

// Every way of printing a Secret, outside any domain, gives the redaction: nothing faults (a
// read of the bytes would) and no encoding of the bytes appears.
func TestPrintingRedacts(t *testing.T) {
	st, _ := newStore(t)
	s := mustFromBytes(t, st, planted)
	c := config{"svc", s, &s, s, []secrets.Secret{s}, map[string]secrets.Secret{"k": s}}
	var nilPtr *secrets.Secret

	type output struct {
		name string
		make func() string
		want string // "": must contain secrets.Redacted
	}
	var outs []output
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b",
		"%c", "%U", "%e", "%t", "%p", "%08.3v", "%-30s", "%T"} {
		for _, arg := range []struct {
			name string
			v    any
		}{{"value", s}, {"pointer", &s}, {"struct", c}, {"struct pointer", &c}} {
			want := ""
			switch {
			case verb == "%T":
				want = "secrets"
			case verb == "%p" && arg.name == "value": // fmt takes %p before Format
				want = "%!p"
			case verb == "%p":
				want = "0x"
			}
			outs = append(outs, output{verb + " of " + arg.name,
				func() string { return fmt.Sprintf(verb, arg.v) }, want})
		}
	}
	outs = append(outs,
		output{"Sprint", func() string { return fmt.Sprint(s, &s, c) }, ""},
		output{"Sprintln", func() string { return fmt.Sprintln(s, &s, c) }, ""},
		output{"nil pointer", func() string { return fmt.Sprint(nilPtr) }, "<nil>"},
		output{"String", s.String, ""},
		output{"GoString", s.GoString, ""},
		output{"log", func() string {
			var buf bytes.Buffer
			log.New(&buf, "", 0).Printf("key=%v cfg=%+v", s, c)
			return buf.String()
		}, ""},
		output{"slog text", func() string {
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "key", s, "ptr", &s, "cfg", c)
			return buf.String()
		}, ""},
		output{"slog json", func() string {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "key", s, "ptr", &s, "cfg", c)
			return buf.String()
		}, ""},
		output{"json value", func() string { return marshal(t, json.Marshal, s) }, ""},
		output{"json struct", func() string { return marshal(t, json.Marshal, c) }, ""},
		output{"json map key", func() string {
			return marshal(t, json.Marshal, map[secrets.Secret]int{s: 1})
		}, ""},
		output{"xml", func() string {
			return marshal(t, xml.Marshal, xmlDoc{s, s})
		}, ""},
		output{"TextMarshaler", func() string {
			b, err := encoding.TextMarshaler(s).MarshalText()
			if err != nil {
				t.Error(err)
			}
			return string(b)
		}, ""},
	)
	for _, o := range outs {
		var out string
		if f := pkutest.Catch(func() { out = o.make() }); f != nil {
			t.Errorf("%s: faulted: %v", o.name, f)
			continue
		}
		want := o.want
		if want == "" {
			want = secrets.Redacted
		}
		if !strings.Contains(out, want) {
			t.Errorf("%s: %q does not contain %q", o.name, out, want)
		}
		if enc := leaks(out); enc != "" {
			t.Errorf("%s: %q holds the secret (%s)", o.name, out, enc)
		}
	}
	if got := contents(t, s); got != planted {
		t.Errorf("secret changed to %q", got)
	}
}

func marshal(t *testing.T, m func(any) ([]byte, error), v any) string {
	t.Helper()
	b, err := m(v)
	if err != nil {
		t.Errorf("marshal %T: %v", v, err)
	}
	return string(b)
}

// Printing inside Use takes no lock Use holds: it neither deadlocks nor prints the bytes.
func TestPrintingInsideUse(t *testing.T) {
	st, _ := newStore(t)
	s := mustFromBytes(t, st, planted)
	var out string
	s.Use(func([]byte) error {
		out = fmt.Sprintf("%v %x", s, s)
		return nil
	})
	if out != secrets.Redacted+" "+secrets.Redacted {
		t.Errorf("inside Use: %q", out)
	}
}

// A redaction does not decode back into a Secret.
func TestUnmarshalRefuses(t *testing.T) {
	var c struct{ Key secrets.Secret }
	err := json.Unmarshal([]byte(`{"Key":"`+secrets.Redacted+`"}`), &c)
	if err == nil || c.Key.Len() != 0 {
		t.Errorf("json.Unmarshal of a redaction: %v, Len %d; want an error", err, c.Key.Len())
	}
}
