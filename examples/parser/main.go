package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/guard"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "parser:", err)
		os.Exit(1)
	}
}

// encode builds an input with the given records; a record's declared length may lie.
func encode(recs ...struct {
	typ      byte
	declared int
	value    string
}) []byte {
	b := append(magic[:], 0, 0)
	binary.BigEndian.PutUint16(b[4:], uint16(len(recs)))
	for _, r := range recs {
		b = append(b, r.typ, byte(r.declared>>8), byte(r.declared))
		b = append(b, r.value...)
	}
	return b
}

type rec = struct {
	typ      byte
	declared int
	value    string
}

func run(w io.Writer) error {
	// The service's secret, in an arena the parser is never granted.
	secrets, err := arena.NewArena(arena.Name("secrets"))
	if err != nil {
		return err
	}
	defer secrets.Close()
	key, _ := secrets.Alloc(32)
	service, _ := domain.New(domain.ReadWrite(secrets))
	service.Do(func() error { copy(key, "service-private-key-do-not-leak!"); return nil })

	sb, err := NewSandbox()
	if err != nil {
		return err
	}
	defer sb.Close()
	fmt.Fprintf(w, "mode: %v\n", sb.parser.Mode())

	recs, err := sb.Parse(encode(rec{1, 5, "hello"}, rec{2, 5, "world"}))
	if err != nil {
		return fmt.Errorf("well-formed input: %w", err)
	}
	sb.parser.Do(func() error {
		fmt.Fprintf(w, "well-formed input:  %d records: %q %q\n", len(recs), recs[0].Value, recs[1].Value)
		return nil
	})
	sb.Release(recs)

	// A record that claims 65535 bytes but carries 5: the copy runs off the end of the input and
	// on past the input arena's region (over-reads inside it stay in memory the parser may read).
	_, err = sb.Parse(encode(rec{1, 65535, "hello"}))
	var v *guard.Violation
	if !errors.As(err, &v) {
		return fmt.Errorf("the over-read was not caught: %v", err)
	}
	fmt.Fprintf(w, "malicious input:    caught: %v\n", v)

	// Even a wild pointer straight at the secret faults inside the parser's domain.
	var leaked byte
	err = sb.parser.Do(func() error { return guard.Catch(func() { leaked = key[0] }) })
	if !errors.As(err, &v) {
		return fmt.Errorf("reading the secret from the parser's domain was not caught (read %q)", leaked)
	}
	fmt.Fprintf(w, "parser reads secret: caught: %v\n", v)
	return nil
}
