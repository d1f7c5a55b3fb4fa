// Command parser shows how to sandbox an untrusted-input parser: the parser runs inside a domain
// that grants only its input (read-only) and output (read-write) arenas, never the service's
// secrets. The parser here has a deliberate Heartbleed-style bug — it trusts the length field of
// each record and copies through unsafe without a bounds check — and malformed input that
// triggers it cannot reach the service's secrets: an over-read that runs past the input arena's
// memory yields a *guard.Violation instead of leaking or crashing the service. A short one that
// stays inside the input arena is not caught and returns its neighbouring bytes (other inputs,
// canaries): the domain bounds what a bug can read, not where inside its grants it reads.
//
//	go run ./examples/parser
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/guard"
)

// The format: "PKA1", a big-endian uint16 record count, then records of a type byte, a
// big-endian uint16 length and that many value bytes.
var magic = [4]byte{'P', 'K', 'A', '1'}

var (
	ErrFormat = errors.New("malformed input")
	ErrTooBig = errors.New("input too large")
)

const maxInput = 16 << 10

// Record is one parsed record; Value lies in the output arena.
type Record struct {
	Type  byte
	Value []byte
}

// Sandbox parses untrusted inputs with access to nothing but their own arenas.
type Sandbox struct {
	input, output *arena.Arena
	parser        *domain.Domain
}

// NewSandbox creates the parser's arenas and its domain.
func NewSandbox() (*Sandbox, error) {
	in, err := arena.NewArena(arena.Name("parser-input"))
	if err != nil {
		return nil, err
	}
	out, err := arena.NewArena(arena.Name("parser-output"))
	if err != nil {
		in.Close()
		return nil, err
	}
	d, err := domain.New(domain.ReadOnly(in), domain.ReadWrite(out))
	if err != nil {
		in.Close()
		out.Close()
		return nil, err
	}
	return &Sandbox{input: in, output: out, parser: d}, nil
}

// Close wipes and releases the sandbox's arenas.
func (s *Sandbox) Close() error { return errors.Join(s.input.Close(), s.output.Close()) }

// Parse copies raw into the input arena and parses it inside the parser's domain. It returns
// the records, ErrFormat for input it rejects, or a *guard.Violation when the parser's bug made
// it touch memory it has no grant for. Call Release with the records when done.
func (s *Sandbox) Parse(raw []byte) ([]Record, error) {
	if len(raw) == 0 || len(raw) > maxInput {
		return nil, fmt.Errorf("%d bytes: %w", len(raw), ErrTooBig)
	}
	in, err := s.input.Alloc(len(raw))
	if err != nil {
		return nil, err
	}
	defer s.input.Free(in)
	load, _ := domain.New(domain.ReadWrite(s.input))
	load.Do(func() error { copy(in, raw); return nil })

	// recs belongs to this frame, not parse's: when a fault unwinds parse, the values it has
	// allocated so far are still here to be released.
	var recs []Record
	err = s.parser.Do(func() error {
		var perr error
		if verr := guard.Catch(func() { perr = parse(in, s.output, &recs) }); verr != nil {
			return verr
		}
		return perr
	})
	if err != nil {
		s.Release(recs)
		return nil, err
	}
	return recs, nil
}

// Release frees the records' values.
func (s *Sandbox) Release(recs []Record) {
	for _, r := range recs {
		s.output.Free(r.Value)
	}
}

// parse is the untrusted parser; it appends to *recs. THE BUG: it trusts each record's length and
// copies it with unsafe, without checking it against the input, so a large length reads past
// the input.
func parse(in []byte, out *arena.Arena, recs *[]Record) error {
	if len(in) < 6 || [4]byte(in[:4]) != magic {
		return ErrFormat
	}
	n := int(binary.BigEndian.Uint16(in[4:6]))
	pos := 6
	for i := 0; i < n; i++ {
		if pos+3 > len(in) {
			return ErrFormat
		}
		typ, length := in[pos], int(binary.BigEndian.Uint16(in[pos+1:pos+3]))
		pos += 3
		if length == 0 {
			continue
		}
		v, err := out.Alloc(length)
		if err != nil {
			return err
		}
		*recs = append(*recs, Record{typ, v})                                                       // owned by the caller before the risky copy
		src := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(in)), pos)), length) // no bounds check
		copy(v, src)
		pos += length
	}
	return nil
}
