package dashboard

import (
	"fmt"
	"html"
	"net/http"
	"strings"
)

// The charts are SVG drawn here, on the server: no chart library, no
// script, and they print and screenshot like the rest of the page.

// bar is one bar of a bar chart.
type bar struct {
	Label string
	Value int
}

// series is one line of a line chart.
type series struct {
	Name   string
	Values []int
	Class  string // s1, s2: colours from the stylesheet-free palette below
}

var palette = map[string]string{"s1": "#c0392b", "s2": "#2471a3"}

// chartW is every chart's width (two fit side by side on a laptop);
// lineH is the line chart's height, a bar chart grows with its bars.
const chartW, lineH = 560, 260

func writeSVG(w http.ResponseWriter, svg string) {
	w.Header().Set("Content-Type", "image/svg+xml; charset=utf-8")
	_, _ = w.Write([]byte(svg))
}

func svgOpen(b *strings.Builder, title string, height int) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-family="sans-serif" font-size="12">`,
		chartW, height, chartW, height, html.EscapeString(title))
	fmt.Fprintf(b, `<title>%s</title><rect width="100%%" height="100%%" fill="#fff"/>`, html.EscapeString(title))
	fmt.Fprintf(b, `<text x="10" y="18" font-size="14" font-weight="bold">%s</text>`, html.EscapeString(title))
}

// niceMax rounds the largest value up so the axis reads well (at least 1).
func niceMax(v int) int {
	for _, m := range []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		if v <= m {
			return m
		}
	}
	return (v/1000 + 1) * 1000
}

// barChart draws horizontal bars, at most limit of them.
func barChart(title string, bars []bar, limit int) string {
	var b strings.Builder
	if len(bars) > limit {
		bars = bars[:limit]
	}
	top, left, right, rowH := 32, 130, 40, 28
	svgOpen(&b, title, max(top+len(bars)*rowH+10, 80))
	if len(bars) == 0 {
		b.WriteString(`<text x="10" y="60" fill="#1e8449">没有逾期的督办。</text></svg>`)
		return b.String()
	}
	maxV := 0
	for _, x := range bars {
		maxV = max(maxV, x.Value)
	}
	scale := float64(chartW-left-right) / float64(niceMax(maxV))
	for i, x := range bars {
		y := top + i*rowH
		wid := int(float64(x.Value) * scale)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-6, y+rowH/2+4, html.EscapeString(truncate(x.Label, 9)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#c0392b"><title>%s：%d</title></rect>`,
			left, y+3, max(wid, 1), rowH-6, html.EscapeString(x.Label), x.Value)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%d</text>`, left+wid+4, y+rowH/2+4, x.Value)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// lineChart draws series over shared labels, with a legend.
func lineChart(title string, labels []string, ss []series) string {
	var b strings.Builder
	svgOpen(&b, title, lineH)
	left, right, top, bottom := 40, 20, 40, 30
	maxV := 0
	for _, s := range ss {
		for _, v := range s.Values {
			maxV = max(maxV, v)
		}
	}
	m := niceMax(maxV)
	plotW, plotH := chartW-left-right, lineH-top-bottom
	x := func(i int) int {
		if len(labels) < 2 {
			return left
		}
		return left + i*plotW/(len(labels)-1)
	}
	y := func(v int) int { return top + plotH - v*plotH/m }
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`, left, top+plotH, left+plotW, top+plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%d</text><text x="%d" y="%d" text-anchor="end">0</text>`, left-6, top+4, m, left-6, top+plotH+4)
	for i, l := range labels {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#555">%s</text>`, x(i), lineH-10, html.EscapeString(l))
	}
	for si, s := range ss {
		color := palette[s.Class]
		var pts []string
		for i, v := range s.Values {
			pts = append(pts, fmt.Sprintf("%d,%d", x(i), y(v)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color, strings.Join(pts, " "))
		for i, v := range s.Values {
			fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="3" fill="%s"><title>%s %s：%d</title></circle>`, x(i), y(v), color, html.EscapeString(labels[i]), html.EscapeString(s.Name), v)
		}
		fmt.Fprintf(&b, `<rect x="%d" y="24" width="12" height="4" fill="%s"/><text x="%d" y="30">%s</text>`, chartW-200+si*90, color, chartW-184+si*90, html.EscapeString(s.Name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// truncate shortens s to n runes with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
