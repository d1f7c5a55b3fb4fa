package secrets

import (
	"fmt"
	"log/slog"
)

// Redacted is what every way of printing or marshalling a Secret gives. It names the type and
// not the length: the length of a password or a token is itself worth hiding from logs, and
// Len tells code that needs it.
const Redacted = "secrets.Secret{REDACTED}"

// String returns Redacted; it never reads the secret.
func (Secret) String() string { return Redacted }

// GoString returns Redacted, for %#v; it never reads the secret.
func (Secret) GoString() string { return Redacted }

// Format prints Redacted for every verb and flag (%v %+v %#v %s %q %x %X %d ...), so that no
// verb reaches the bytes, not even through reflection; width and precision are ignored.
func (Secret) Format(f fmt.State, _ rune) { f.Write([]byte(Redacted)) }

// LogValue makes log/slog log Redacted.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON gives Redacted as a JSON string: a Secret never leaves its arena through
// encoding/json, and there is no UnmarshalJSON to read a redaction back as a secret.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText gives Redacted, for encoding.TextMarshaler users (encoding/xml, map keys in
// encoding/json, log/slog's text output).
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
