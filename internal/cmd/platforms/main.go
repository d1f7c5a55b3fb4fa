// Command platforms writes the generated table of docs/platforms.md from package
// internal/platforms, or, with -check, fails when the file is out of date. go generate
// ./internal/platforms runs it.
//
//	go run ./internal/cmd/platforms [-doc docs/platforms.md] [-check]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pkeyarena/pkeyarena/internal/platforms"
)

// errStale is returned by -check for a file whose table differs from the matrix.
var errStale = errors.New("out of date: run go generate ./internal/platforms")

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "platforms:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("platforms", flag.ContinueOnError)
	fs.SetOutput(stderr)
	doc := fs.String("doc", "docs/platforms.md", "the document whose table to write")
	check := fs.Bool("check", false, "write nothing; fail if the table is out of date")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	data, err := os.ReadFile(*doc)
	if err != nil {
		return err
	}
	want, err := platforms.Splice(string(data))
	if err != nil {
		return fmt.Errorf("%s: %w", *doc, err)
	}
	switch {
	case want == string(data):
		return nil
	case *check:
		return fmt.Errorf("%s: %w", *doc, errStale)
	}
	return os.WriteFile(*doc, []byte(want), 0o644)
}
