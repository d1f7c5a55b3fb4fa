package main

import (
	"fmt"
	"io"
	"slices"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// confidence is the level of the intervals reported, benchstat's default.
const confidence = 0.95

// result is one benchmark's summaries, per unit as benchfmt tidies them ("sec/op", "B/op",
// "resident-B/secret", ...).
type result map[string]benchmath.Summary

// runs is what one or more go test -bench outputs hold: each benchmark's result by name (with
// the -N GOMAXPROCS suffix dropped), and the file configuration lines ("cpu", "goos", "pkg")
// with the last value each had.
type runs struct {
	results map[string]result
	config  map[string]string
}

// summarize reads go test -bench output with benchfmt and summarises every benchmark's values of
// each unit as benchstat does: the median and its confidence interval, making no assumption
// about the distribution (benchmath.AssumeNothing). Names get prefix. A line that starts like a
// result but does not parse is an error naming its position.
func summarize(r io.Reader, fileName, prefix string) (runs, error) {
	values := map[string]map[string][]float64{}
	out := runs{results: map[string]result{}, config: map[string]string{}}
	br := benchfmt.NewReader(r, fileName)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return runs{}, rec
		case *benchfmt.Result:
			for _, c := range rec.Config {
				if c.File {
					out.config[c.Key] = string(c.Value)
				}
			}
			name := prefix + benchName(rec.Name)
			if values[name] == nil {
				values[name] = map[string][]float64{}
			}
			for _, v := range rec.Values {
				values[name][v.Unit] = append(values[name][v.Unit], v.Value)
			}
		}
	}
	if err := br.Err(); err != nil {
		return runs{}, err
	}
	for name, units := range values {
		out.results[name] = result{}
		for unit, vs := range units {
			s := benchmath.NewSample(vs, &benchmath.DefaultThresholds)
			out.results[name][unit] = benchmath.AssumeNothing.Summary(s, confidence)
		}
	}
	return out, nil
}

// benchName is a full benchmark name without its GOMAXPROCS suffix: "AllocFree/heap/32".
func benchName(n benchfmt.Name) string {
	base, parts := n.Parts()
	s := string(base)
	for _, p := range parts {
		if p[0] != '-' {
			s += string(p)
		}
	}
	return s
}

// add merges more into r; a name in both is an error (two runs measured the same benchmark).
func (r *runs) add(more runs) error {
	for name, res := range more.results {
		if _, dup := r.results[name]; dup {
			return fmt.Errorf("benchmark %s measured by two runs", name)
		}
		r.results[name] = res
	}
	for k, v := range more.config {
		r.config[k] = v
	}
	return nil
}

// warnings lists, once each, what benchmath said about the intervals (too few runs for one).
func (r runs) warnings() []string {
	var ws []string
	for _, res := range r.results {
		for _, s := range res {
			for _, w := range s.Warnings {
				ws = append(ws, w.Error())
			}
		}
	}
	slices.Sort(ws)
	return slices.Compact(ws)
}
