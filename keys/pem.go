package keys

import "bytes"

// pemBlock is one PEM block of the input: its label, whether its headers say it is encrypted,
// and its base64 body, all sub-slices of the input.
type pemBlock struct {
	label     []byte
	encrypted bool
	body      []byte
}

var (
	pemBegin = []byte("-----BEGIN ")
	pemEnd   = []byte("-----END ")
	pemDash  = []byte("-----")
)

// nextPEM finds the first PEM block in in (RFC 7468, with RFC 1421 headers) and returns it and
// the input after it; ok is false when there is none. A BEGIN line without a matching END line
// is malformed.
func nextPEM(in []byte) (b pemBlock, rest []byte, ok bool, err error) {
	for {
		i := bytes.Index(in, pemBegin)
		if i < 0 {
			return b, nil, false, nil
		}
		if i > 0 && in[i-1] != '\n' {
			in = in[i+len(pemBegin):] // not at the start of a line: not a boundary
			continue
		}
		in = in[i+len(pemBegin):]
		line, after := cutLine(in)
		label, ok := bytes.CutSuffix(bytes.TrimRight(line, " \t\r"), pemDash)
		if !ok || bytes.Contains(label, pemDash) {
			return b, nil, false, malformed("PEM: bad BEGIN line")
		}
		b.label = label
		in = after
		break
	}

	// RFC 1421 headers: "Name: value" lines, ended by an empty line. A line that starts with
	// a space or a tab continues the header before it (folding).
	if line, _ := cutLine(in); bytes.IndexByte(line, ':') >= 0 {
		var name []byte
		for {
			line, after := cutLine(in)
			in = after
			line = bytes.TrimRight(line, " \t\r")
			if len(line) == 0 {
				break
			}
			if len(after) == 0 {
				return b, nil, false, malformed("PEM %s: unterminated headers", b.label)
			}
			value := line
			if line[0] != ' ' && line[0] != '\t' {
				name, value, _ = bytes.Cut(line, []byte(":"))
			}
			switch string(bytes.TrimSpace(name)) {
			case "Proc-Type":
				if bytes.Contains(value, []byte("ENCRYPTED")) {
					b.encrypted = true
				}
			case "DEK-Info":
				b.encrypted = true
			}
		}
	}

	for off := 0; ; {
		j := bytes.Index(in[off:], pemEnd)
		if j < 0 {
			return b, nil, false, malformed("PEM %s: no END line", b.label)
		}
		j += off
		if j > 0 && in[j-1] != '\n' {
			off = j + len(pemEnd)
			continue
		}
		line, after := cutLine(in[j+len(pemEnd):])
		label, ok := bytes.CutSuffix(bytes.TrimRight(line, " \t\r"), pemDash)
		if !ok || !bytes.Equal(label, b.label) {
			return b, nil, false, malformed("PEM %s: END line does not match", b.label)
		}
		b.body = in[:j]
		return b, after, true, nil
	}
}

// cutLine splits in after its first line feed (or at its end).
func cutLine(in []byte) (line, rest []byte) {
	if i := bytes.IndexByte(in, '\n'); i >= 0 {
		return in[:i], in[i+1:]
	}
	return in, nil
}

// decodeBase64 decodes the standard base64 text in b (whitespace ignored, padding required) in
// place and returns the decoded prefix of b. Writing never overtakes reading: four characters
// become at most three bytes. Each character is decoded with arithmetic, not a table lookup, so
// the memory accesses and branches do not depend on the key's bytes (only on where whitespace
// and padding are, which the file's layout shows anyway).
func decodeBase64(b []byte) ([]byte, error) {
	var acc uint32 // the bits of up to four characters
	n, w, pad := 0, 0, 0
	var bad int32
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '=':
			pad++
			continue
		}
		if pad > 0 {
			return nil, malformed("base64: data after padding")
		}
		v, ok := base64Value(c)
		bad |= ^ok
		acc = acc<<6 | uint32(v)
		if n++; n == 4 {
			b[w], b[w+1], b[w+2] = byte(acc>>16), byte(acc>>8), byte(acc)
			w += 3
			n, acc = 0, 0
		}
	}
	if bad != 0 {
		return nil, malformed("base64: invalid character")
	}
	switch {
	case n == 0 && pad == 0:
	case n == 2 && pad == 2:
		b[w] = byte(acc >> 4)
		w++
	case n == 3 && pad == 1:
		b[w], b[w+1] = byte(acc>>10), byte(acc>>2)
		w += 2
	default:
		return nil, malformed("base64: bad length or padding")
	}
	acc = 0
	return b[:w], nil
}

// base64Value returns the value of a standard base64 character and ok = -1 (all bits set), or
// ok = 0 when c is not one; in constant time.
func base64Value(c byte) (v byte, ok int32) {
	x := int32(c)
	upper := inRange(x, 'A', 'Z')
	lower := inRange(x, 'a', 'z')
	digit := inRange(x, '0', '9')
	plus := inRange(x, '+', '+')
	slash := inRange(x, '/', '/')
	val := upper&(x-'A') | lower&(x-'a'+26) | digit&(x-'0'+52) | plus&62 | slash&63
	return byte(val), upper | lower | digit | plus | slash
}

// inRange returns -1 when lo <= x <= hi and 0 otherwise, without branching (x, lo, hi < 2^30).
func inRange(x, lo, hi int32) int32 {
	return ^((x - lo) >> 31) & ^((hi - x) >> 31)
}
