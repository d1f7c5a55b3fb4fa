package keys

import "fmt"

// DER tags of the few ASN.1 types the key structures use.
const (
	tagInteger     = 0x02
	tagBitString   = 0x03
	tagOctetString = 0x04
	tagNull        = 0x05
	tagOID         = 0x06
	tagSequence    = 0x30
	tagContext0    = 0xa0 // [0], constructed
	tagContext1    = 0xa1 // [1], constructed
	tagContext1Imp = 0x81 // [1] IMPLICIT, primitive (PKCS#8 v2 publicKey BIT STRING)
)

// der is a cursor over DER-encoded bytes, in arena memory and read inside the key's domain.
// It reads only what the fixed key structures need: single-byte tags, definite lengths in
// their minimal form. Its elements are sub-slices of the input, so nothing is copied.
// encoding/asn1 is not used because it copies what it decodes into the Go heap.
type der []byte

// empty reports whether every byte has been read.
func (d der) empty() bool { return len(d) == 0 }

// peek reports whether the next element has the given tag.
func (d der) peek(tag byte) bool { return len(d) > 0 && d[0] == tag }

// read returns the contents of the next element, which must have the given tag, and advances
// past it.
func (d *der) read(tag byte, what string) (der, error) {
	s := *d
	if len(s) < 2 {
		return nil, malformed("DER: %s: truncated", what)
	}
	if s[0] != tag {
		return nil, malformed("DER: %s: unexpected element", what)
	}
	n, hdr := int(s[1]), 2
	switch {
	case n < 0x80:
	case n == 0x81:
		if len(s) < 3 || s[2] < 0x80 {
			return nil, malformed("DER: %s: bad length", what)
		}
		n, hdr = int(s[2]), 3
	case n == 0x82:
		if len(s) < 4 || s[2] == 0 {
			return nil, malformed("DER: %s: bad length", what)
		}
		n, hdr = int(s[2])<<8|int(s[3]), 4
	default: // indefinite (0x80), or longer than any key this package reads
		return nil, malformed("DER: %s: bad length", what)
	}
	if n > len(s)-hdr {
		return nil, malformed("DER: %s: truncated", what)
	}
	*d = s[hdr+n:]
	return s[hdr : hdr+n], nil
}

// readOptional reads the next element if it has the given tag.
func (d *der) readOptional(tag byte, what string) (der, bool, error) {
	if !d.peek(tag) {
		return nil, false, nil
	}
	v, err := d.read(tag, what)
	return v, err == nil, err
}

// readVersion reads an INTEGER that must be one of the allowed small values.
func (d *der) readVersion(what string, allowed ...byte) (byte, error) {
	v, err := d.read(tagInteger, what)
	if err != nil {
		return 0, err
	}
	if len(v) == 1 {
		for _, a := range allowed {
			if v[0] == a {
				return a, nil
			}
		}
	}
	return 0, unsupported("%s: unknown version", what)
}

// readBitString reads a BIT STRING with no unused bits (a public key) and returns its bytes.
func (d *der) readBitString(tag byte, what string) (der, error) {
	v, err := d.read(tag, what)
	if err != nil {
		return nil, err
	}
	if len(v) < 1 || v[0] != 0 {
		return nil, malformed("DER: %s: bad BIT STRING", what)
	}
	return v[1:], nil
}

// done fails unless every byte was read: DER has exactly one encoding, trailing bytes are an
// error.
func (d der) done(what string) error {
	if !d.empty() {
		return malformed("DER: %s: trailing data", what)
	}
	return nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

func encrypted(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrEncrypted}, args...)...)
}
