package main

import (
	"fmt"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// bars draws one line of points per series over categorical groups, on a logarithmic value axis
// (the figures span from nanoseconds to milliseconds; bar charts cannot start at zero on a log
// axis).
func bars(
	path, title, ylabel string, groups []string, series []string,
	value func(series, group string) float64,
) error {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	for i, s := range series {
		pts := make(plotter.XYs, 0, len(groups))
		for j, g := range groups {
			if v := value(s, g); v > 0 { // missing or skipped: no point
				pts = append(pts, plotter.XY{X: float64(j), Y: v})
			}
		}
		if len(pts) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		line.Color = plotutil.Color(i)
		points.Color = plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(s, line, points)
	}
	p.Legend.Top = true
	p.NominalX(groups...)
	return p.Save(7*vg.Inch, 4*vg.Inch, path)
}

// writeCharts draws the medians.
func writeCharts(r runs, m machine, docs string) error {
	sub := fmt.Sprintf("\n%s", m)
	ns := func(name string) float64 { return r.results[name]["sec/op"].Center * 1e9 }
	if err := bars(filepath.Join(docs, "bench-allocfree.svg"),
		"Alloc+Free of one secret"+sub, "ns per Alloc+Free",
		[]string{"32 B", "256 B", "4096 B"}, []string{"Go heap", "pkeyarena", "memguard"},
		func(s, g string) float64 {
			n := map[string]string{"32 B": "32", "256 B": "256", "4096 B": "4096"}[g]
			key := map[string]string{
				"Go heap": "heap", "pkeyarena": "pkeyarena", "memguard": "memguard",
			}[s]
			return ns("AllocFree/" + key + "/" + n)
		}); err != nil {
		return err
	}
	if err := bars(filepath.Join(docs, "bench-memory.svg"),
		"Resident bytes per 32-byte secret"+sub, "bytes per secret",
		[]string{"1000", "10000", "100000"}, []string{"pkeyarena", "memguard"},
		func(s, g string) float64 {
			return r.results["MemoryPerSecret/"+s+"/"+g]["resident-B/secret"].Center
		}); err != nil {
		return err
	}
	return bars(filepath.Join(docs, "bench-enterexit.svg"),
		"Open+close a region, no busy threads"+sub, "ns per open+close",
		regionSizes, []string{"mprotect", "domain"},
		func(s, g string) float64 { return ns("EnterExitVsMprotect/" + s + "/" + g + "/busy=0") })
}
