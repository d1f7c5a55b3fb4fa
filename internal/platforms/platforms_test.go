package platforms

import (
	"errors"
	"strings"
	"testing"
)

// Every row names a distinct platform and fills every column, without characters that would
// break the Markdown table.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range table {
		name := p.GOOS + "/" + p.GOARCH
		if seen[name] {
			t.Errorf("%s is listed twice", name)
		}
		seen[name] = true
		for col, s := range map[string]string{"GOOS": p.GOOS, "GOARCH": p.GOARCH,
			"Keys": p.Keys, "Fallback": p.Fallback, "Tested": p.Tested} {
			if s == "" || strings.ContainsAny(s, "|\n") {
				t.Errorf("%s: column %s is %q", name, col, s)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	if p := Lookup("linux", "ppc64le"); p != table[2] {
		t.Errorf("Lookup(linux, ppc64le) = %+v, want the table's row %+v", p, table[2])
	}
	p := Lookup("plan9", "mips")
	if p.GOOS != "plan9" || p.GOARCH != "mips" || p.PerThread || p.Tested != "untested" {
		t.Errorf("an unlisted platform claims more than the fallback: %+v", p)
	}
}

// The table has a header, a separator and one line per row, each naming its platform.
func TestMarkdown(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(Markdown(), "\n"), "\n")
	if len(lines) != 2+len(table) {
		t.Fatalf("%d lines for %d rows", len(lines), len(table))
	}
	for i, p := range table {
		if want := "| " + p.GOOS + "/" + p.GOARCH + " | "; !strings.HasPrefix(lines[2+i], want) {
			t.Errorf("line %d is %q, want it to start with %q", 2+i, lines[2+i], want)
		}
	}
}

func TestSplice(t *testing.T) {
	table := Start + "\n" + Markdown() + End
	tests := []struct {
		name, doc, want string
		err             error
	}{
		{"stale", "a\n" + Start + "\nold\n" + End + "\nb", "a\n" + table + "\nb", nil},
		{"empty between", Start + End, table, nil},
		{"fresh", "x" + table + "y", "x" + table + "y", nil},
		{"no markers", "text", "", ErrNoMarkers},
		{"no end", Start + "\n", "", ErrNoMarkers},
		{"no start", End, "", ErrNoMarkers},
		{"end before start", End + Start, "", ErrNoMarkers},
	}
	for _, tt := range tests {
		got, err := Splice(tt.doc)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%s: Splice = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

// Splice keeps what lies outside the markers and is idempotent, whatever the document.
func FuzzSplice(f *testing.F) {
	f.Add("intro\n" + Start + "\nold\n" + End + "\nnotes")
	f.Add(End + Start + End)
	f.Add(Start + Start + End + End)
	f.Fuzz(func(t *testing.T, doc string) {
		got, err := Splice(doc)
		if err != nil {
			if !errors.Is(err, ErrNoMarkers) || got != "" {
				t.Fatalf("Splice(%q) = %q, %v", doc, got, err)
			}
			return
		}
		i, j := strings.Index(doc, Start), strings.Index(doc, End)
		if !strings.HasPrefix(got, doc[:i]) || !strings.HasSuffix(got, doc[j:]) ||
			!strings.Contains(got, Start+"\n"+Markdown()+End) {
			t.Fatalf("Splice(%q) = %q: text outside the markers changed", doc, got)
		}
		if again, err := Splice(got); again != got || err != nil {
			t.Fatalf("Splice is not idempotent on %q: %q, %v", got, again, err)
		}
	})
}
