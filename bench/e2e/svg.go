package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// barChart is a grouped bar chart: one group per cell, one bar per server.
// It renders to a self-contained SVG (no fonts or scripts fetched), so the
// report reads the same in a repository browser and offline.
type barChart struct {
	title  string
	unit   string      // y axis label
	groups [][2]string // two label lines under each group
	series []string
	colors []string
	values [][]float64 // [series][group]; NaN: no bar
	log    bool        // logarithmic y axis, for values spanning decades
}

const (
	chartLeft   = 72
	chartRight  = 16
	chartTop    = 56
	chartPlotH  = 260
	chartBottom = 46
	barW        = 11
	groupGap    = 18
)

// svg renders the chart.
func (c *barChart) svg() string {
	n := len(c.series)
	// Wide enough for two label lines like "1,000 conns" under each group,
	// and for the title and the legend.
	groupW := max(n*barW+groupGap, 84)
	legendW := 0
	for _, s := range c.series {
		legendW += legendItemW(s)
	}
	w := max(chartLeft+len(c.groups)*groupW+chartRight, chartLeft+legendW+chartRight, chartLeft+8*len(c.title)+chartRight)
	h := chartTop + chartPlotH + chartBottom
	lo, hi := c.bounds()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="14" font-weight="bold">%s</text>`+"\n", chartLeft, esc(c.title))
	// Legend, in one row under the title.
	x := chartLeft
	for i, s := range c.series {
		fmt.Fprintf(&b, `<rect x="%d" y="28" width="10" height="10" fill="%s"/><text x="%d" y="37">%s</text>`+"\n", x, c.colors[i], x+14, esc(s))
		x += legendItemW(s)
	}
	// Axis and grid.
	y0 := chartTop + chartPlotH
	for _, t := range c.ticks(lo, hi) {
		y := c.y(t, lo, hi)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, chartLeft, w-chartRight, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", chartLeft-6, y+4, esc(short(t)))
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#444"/>`+"\n", chartLeft, w-chartRight, y0, y0)
	fmt.Fprintf(&b, `<text transform="translate(14 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", chartTop+chartPlotH/2, esc(c.unit))
	// Bars, with the value as a tooltip.
	for g := range c.groups {
		gx := chartLeft + g*groupW + (groupW-n*barW)/2
		for s := range c.series {
			v := c.values[s][g]
			if math.IsNaN(v) || v <= 0 {
				continue
			}
			y := c.y(v, lo, hi)
			fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s, %s %s: %s %s</title></rect>`+"\n",
				gx+s*barW, y, barW-1, float64(y0)-y, c.colors[s], esc(c.series[s]), esc(c.groups[g][0]), esc(c.groups[g][1]), esc(short(v)), esc(c.unit))
		}
		cx := gx + n*barW/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, cx, y0+16, esc(c.groups[g][0]))
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n", cx, y0+30, esc(c.groups[g][1]))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// legendItemW estimates the width of one legend entry (11 px sans-serif).
func legendItemW(s string) int { return 14 + 7*len([]rune(s)) + 18 }

// bounds returns the axis range: from 0 (linear) or the decade below the
// smallest value (log) to a round number above the largest.
func (c *barChart) bounds() (lo, hi float64) {
	lo, hi = math.Inf(1), 0.0
	for _, row := range c.values {
		for _, v := range row {
			if math.IsNaN(v) || v <= 0 {
				continue
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if hi == 0 {
		return 0, 1
	}
	if c.log {
		return math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
	}
	step := niceStep(hi / 5)
	return 0, math.Ceil(hi/step) * step
}

// ticks returns the axis labels: decades (log) or about five round steps.
func (c *barChart) ticks(lo, hi float64) []float64 {
	var t []float64
	if c.log {
		// Each decade; with 1, 2 and 5 steps when there are few decades.
		steps := []float64{1}
		if hi/lo <= 100 {
			steps = []float64{1, 2, 5}
		}
		for d := lo; d <= hi*1.0001; d *= 10 {
			for _, m := range steps {
				if v := d * m; v <= hi*1.0001 {
					t = append(t, v)
				}
			}
		}
		return t
	}
	step := niceStep(hi / 5)
	for v := 0.0; v <= hi*1.0001; v += step {
		t = append(t, v)
	}
	return t
}

// y maps a value to its vertical position.
func (c *barChart) y(v, lo, hi float64) float64 {
	var f float64
	if c.log {
		f = (math.Log10(v) - math.Log10(lo)) / (math.Log10(hi) - math.Log10(lo))
	} else {
		f = v / hi
	}
	f = min(max(f, 0), 1)
	return float64(chartTop+chartPlotH) - f*chartPlotH
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// short formats an axis or tooltip value: 12k, 1.5M, 0.05.
func short(v float64) string {
	switch {
	case v >= 1e6:
		return trimZeros(fmt.Sprintf("%.1f", v/1e6)) + "M"
	case v >= 1e3:
		return trimZeros(fmt.Sprintf("%.1f", v/1e3)) + "k"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return trimZeros(fmt.Sprintf("%.2f", v))
	}
	return trimZeros(fmt.Sprintf("%.3g", v))
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func esc(s string) string { return html.EscapeString(s) }
