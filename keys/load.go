package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxInputSize bounds what Read and LoadFile read: a key file, possibly with certificates
// around the key, is far smaller. Longer input fails with ErrTooLarge.
const MaxInputSize = 64 << 10

// firstRead is the arena buffer Read starts with when the input's size is unknown.
const firstRead = 4 << 10

// Read reads a private key from r into arena memory and returns a Signer over it. It accepts
// PEM (the first private-key block; other blocks, such as certificates, are skipped) holding
// PKCS#8 ("PRIVATE KEY": Ed25519, EC P-256 and P-384), SEC 1 ("EC PRIVATE KEY") or an
// unencrypted OpenSSH key ("OPENSSH PRIVATE KEY": ssh-ed25519, ecdsa-sha2-nistp256 and
// -nistp384), or exactly 32 bytes, taken as a raw Ed25519 seed unless they are printable text,
// ASCII or any other UTF-8 (ErrNoKey: a stray text file or a passphrase is no seed).
//
// r.Read is called inside the key's domain, with arena memory to fill, and the input is
// decoded there (base64 and DER, by parsers of this package that copy nothing into the Go
// heap), then wiped. An *os.File therefore reads straight into the arena; a reader that holds
// the input itself (bytes.Reader, bufio.Reader) has its own copy, which is the caller's to wipe.
//
// Errors wrap ErrEncrypted, ErrUnsupported, ErrMalformed, ErrNoKey or ErrTooLarge, or the
// error of r or of the arena; on error nothing is left allocated.
func Read(r io.Reader, opts ...Option) (*Signer, error) {
	s, err := read(r, firstRead, newConfig(opts))
	if err != nil {
		return nil, fmt.Errorf("keys: Read: %w", err)
	}
	return s, nil
}

// LoadFile reads the private key file at path as Read does: read(2) writes the file's bytes
// straight into arena memory, inside the key's domain.
func LoadFile(path string, opts ...Option) (*Signer, error) {
	s, err := loadFile(path, newConfig(opts))
	if err != nil {
		return nil, fmt.Errorf("keys: LoadFile %s: %w", path, err)
	}
	return s, nil
}

func loadFile(path string, c config) (*Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hint := firstRead
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if fi.Size() > MaxInputSize {
			return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, fi.Size(), MaxInputSize)
		}
		hint = int(fi.Size()) + 1 // one more, to see the end of the file in the first buffer
	}
	return read(f, hint, c)
}

// read reads all of r into an arena buffer of about hint bytes (grown as needed), parses it
// and builds the Signer, all inside one domain visit, then wipes and frees the buffer.
func read(r io.Reader, hint int, c config) (*Signer, error) {
	h, err := newHome(c)
	if err != nil {
		return nil, err
	}
	var (
		key []byte
		pub crypto.PublicKey
		alg Algorithm
		buf []byte
	)
	err = h.do(func() error {
		var n int
		var err error
		if buf, n, err = readAll(h, r, hint); err != nil {
			return err
		}
		p, err := parseInput(buf[:n])
		if err != nil {
			return err
		}
		alg = p.alg
		if key, err = h.arena.Alloc(alg.secretSize()); err != nil {
			return err
		}
		pub, err = build(key, p)
		return err
	})
	ferr := h.free(buf)
	if err == nil {
		err = ferr
	}
	if err != nil {
		h.free(key)
		h.release()
		return nil, err
	}
	return newSigner(h, alg, key, pub), nil
}

// readAll reads r to its end into arena memory (inside the domain): a buffer of hint bytes,
// replaced by one twice as large (the bytes moved, the old one wiped) while r has more, up to
// MaxInputSize. It returns the buffer and how much of it was read.
func readAll(h *home, r io.Reader, hint int) ([]byte, int, error) {
	size := min(max(hint, 64), MaxInputSize+1)
	buf, err := h.arena.Alloc(size)
	if err != nil {
		return nil, 0, err
	}
	n, idle, done := 0, 0, false
	defer func() { // a reader that panics: wipe and free what it filled, then go on panicking
		if !done {
			h.discard(buf)
		}
	}()
	for {
		if n == len(buf) {
			if len(buf) > MaxInputSize {
				done = true
				h.discard(buf)
				return nil, 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxInputSize)
			}
			bigger, err := h.arena.Alloc(min(2*len(buf), MaxInputSize+1))
			if err != nil {
				done = true
				h.discard(buf)
				return nil, 0, err
			}
			copy(bigger, buf)
			h.discard(buf)
			buf = bigger
		}
		m, err := r.Read(buf[n:])
		if m < 0 || m > len(buf)-n {
			done = true
			h.discard(buf)
			return nil, 0, errors.New("reader returned an invalid count")
		}
		n += m
		switch {
		case err == io.EOF:
			done = true
			return buf, n, nil
		case err != nil:
			done = true
			h.discard(buf)
			return nil, 0, err
		case m == 0:
			if idle++; idle >= 100 {
				done = true
				h.discard(buf)
				return nil, 0, io.ErrNoProgress
			}
		default:
			idle = 0
		}
	}
}

// parseInput finds the private key in the input: a raw 32-byte seed, or the first private-key
// PEM block, whose base64 body is decoded in place.
func parseInput(in []byte) (parsed, error) {
	if len(in) == seedSize {
		if isText(in) { // a stray text file, a truncated PEM block, a hex or base64 string
			return parsed{}, fmt.Errorf("%w: 32 bytes of text, which is no raw Ed25519 seed", ErrNoKey)
		}
		return parsed{alg: Ed25519, secret: in}, nil
	}
	for rest := in; ; {
		b, after, ok, err := nextPEM(rest)
		if err != nil {
			return parsed{}, err
		}
		if !ok {
			return parsed{}, fmt.Errorf("%w: no PEM private key block, and not a 32-byte Ed25519 seed", ErrNoKey)
		}
		rest = after
		var parse func([]byte) (parsed, error)
		switch string(b.label) {
		case "PRIVATE KEY":
			parse = func(d []byte) (parsed, error) { return parsePKCS8(d) }
		case "EC PRIVATE KEY":
			parse = func(d []byte) (parsed, error) { return parseSEC1(d, 0) }
		case "OPENSSH PRIVATE KEY":
			parse = parseOpenSSH
		case "ENCRYPTED PRIVATE KEY":
			return parsed{}, encrypted("PEM %s", b.label)
		default:
			if bytes.HasSuffix(b.label, []byte("PRIVATE KEY")) { // RSA, DSA, ...
				return parsed{}, unsupported("PEM %s", b.label)
			}
			continue // a certificate, EC PARAMETERS, a public key: not what we look for
		}
		if b.encrypted {
			return parsed{}, encrypted("PEM %s with Proc-Type 4,ENCRYPTED", b.label)
		}
		d, err := decodeBase64(b.body)
		if err != nil {
			return parsed{}, fmt.Errorf("PEM %s: %w", b.label, err)
		}
		return parse(d)
	}
}

// isText reports whether b is text: valid UTF-8 of printable ASCII, whitespace (tab, newline,
// carriage return) and runes from U+00A0 up (no C1 controls), so that a passphrase in any
// language is no seed. A random 32-byte seed is text with probability below 2·10^-11 (printable
// ASCII alone: (100/256)^32). It branches on no byte of b and looks nothing up by one: the
// decoder's state (continuation bytes still due, and the range the next one must lie in, which
// refuses overlong forms, surrogates and runes past U+10FFFF) is computed arithmetically.
func isText(b []byte) bool {
	text, need, lo, hi := 1, 0, 0x80, 0xBF
	for _, c := range b {
		x := int(c)
		start := bool2int(need == 0)
		// As the first byte of a rune.
		lead2 := bool2int(x >= 0xC2 && x <= 0xDF)
		lead3 := bool2int(x >= 0xE0 && x <= 0xEF)
		lead4 := bool2int(x >= 0xF0 && x <= 0xF4)
		ascii := bool2int(x-0x20 >= 0 && x-0x20 < 0x5f) | bool2int(x == '\t') |
			bool2int(x == '\n') | bool2int(x == '\r')
		leadLo := 0x80 + 0x20*bool2int(x == 0xC2) + 0x20*bool2int(x == 0xE0) +
			0x10*bool2int(x == 0xF0)
		leadHi := 0xBF - 0x20*bool2int(x == 0xED) - 0x30*bool2int(x == 0xF4)
		// As a continuation byte.
		cont := bool2int(x >= lo && x <= hi)
		text &= start*(ascii|lead2|lead3|lead4) + (1-start)*cont
		need = start*(lead2+2*lead3+3*lead4) + (1-start)*(need-1)
		lo = start*leadLo + (1-start)*0x80
		hi = start*leadHi + (1-start)*0xBF
	}
	return text == 1 && need == 0
}

func bool2int(b bool) int {
	if b {
		return 1
	}
	return 0
}

// build writes the key found by parseInput into key (arena memory, its algorithm's size),
// derives the public key and checks it against the one the file states. Inside the domain.
func build(key []byte, p parsed) (crypto.PublicKey, error) {
	if p.alg == Ed25519 {
		copy(key, p.secret)
		deriveInPlace(key)
		pub := key[seedSize:]
		if p.pub != nil && subtle.ConstantTimeCompare(p.pub, pub) != 1 ||
			p.seedPK != nil && subtle.ConstantTimeCompare(p.seedPK, pub) != 1 {
			return nil, malformed("the public key does not match the private key")
		}
		return append(ed25519.PublicKey(nil), pub...), nil
	}
	copy(key[len(key)-len(p.secret):], p.secret) // left-padded: SEC 1 allows leading zeros dropped
	priv, err := ecdsa.ParseRawPrivateKey(p.alg.curve(), key)
	if err != nil {
		return nil, malformed("%v scalar out of range", p.alg)
	}
	pub := priv.PublicKey
	wipeScalar(priv)
	if p.pub != nil && !pointMatches(p.pub, &pub) {
		return nil, malformed("the public key does not match the private key")
	}
	return &pub, nil
}

// pointMatches reports whether an encoded point (uncompressed, or compressed: SEC 1 §2.3.3)
// is pub.
func pointMatches(point []byte, pub *ecdsa.PublicKey) bool {
	want, err := pub.Bytes() // 0x04 || X || Y
	if err != nil || len(point) == 0 {
		return false
	}
	size := (len(want) - 1) / 2
	switch {
	case point[0] == 4:
		return bytes.Equal(point, want)
	case (point[0] == 2 || point[0] == 3) && len(point) == 1+size:
		parity := want[len(want)-1] & 1
		return point[0]-2 == parity && bytes.Equal(point[1:], want[1:1+size])
	}
	return false
}

// Generate creates a key of the given algorithm with its secret drawn from crypto/rand
// straight into arena memory (an ECDSA scalar outside [1, n-1] is drawn again).
func Generate(alg Algorithm, opts ...Option) (*Signer, error) {
	if alg.secretSize() == 0 {
		return nil, fmt.Errorf("keys: Generate: %v: %w", alg, ErrUnsupported)
	}
	h, err := newHome(newConfig(opts))
	if err != nil {
		return nil, fmt.Errorf("keys: Generate: %w", err)
	}
	key, err := h.arena.Alloc(alg.secretSize())
	if err != nil {
		h.release()
		return nil, fmt.Errorf("keys: Generate: %w", err)
	}
	var pub crypto.PublicKey
	err = h.do(func() error {
		if alg == Ed25519 {
			if _, err := rand.Read(key[:seedSize]); err != nil {
				return err
			}
			deriveInPlace(key)
			pub = append(ed25519.PublicKey(nil), key[seedSize:]...)
			return nil
		}
		for {
			if _, err := rand.Read(key); err != nil {
				return err
			}
			priv, err := ecdsa.ParseRawPrivateKey(alg.curve(), key)
			if err != nil {
				continue // zero or not below the group order: draw again (2^-32 odds or less)
			}
			pub = &priv.PublicKey
			wipeScalar(priv)
			return nil
		}
	})
	if err != nil {
		h.free(key)
		h.release()
		return nil, fmt.Errorf("keys: Generate: %w", err)
	}
	return newSigner(h, alg, key, pub), nil
}
