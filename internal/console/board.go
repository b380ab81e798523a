package console

import (
	"fmt"
	"html/template"
	"strings"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// boardPage is the partnership board's outcome measures with their monthly trend, as the
// board report gives them (small counts withheld as the report withholds them).
type boardPage struct {
	AsOf     string
	Measures []boardMeasure
	// Own is set when any measure is the council's own.
	Own bool
}

type boardMeasure struct {
	Title, Value, Definition string
	LowerIsBetter            bool
	// Own is set for the council's own measure (its pathway settings), so that the board
	// can tell it from the national ones.
	Own    bool
	Trend  template.HTML // a small line, or "" when too few points are given
	Points []trendPoint  // the same in words, for those who cannot see it
}

type trendPoint struct{ Month, Value string }

func (c *Console) board(cl *call) (view, error) {
	r, err := c.clients.board.GetBoardReport(cl.ctx, &pb.GetBoardReportRequest{Name: "organisations/" + cl.sess.Organisation + "/boardReport"})
	if err != nil {
		return view{}, err
	}
	p := boardPage{AsOf: formatDate(r.GetAsOf())}
	for _, m := range r.GetMeasures() {
		bm := boardMeasure{Title: m.GetDefinition().GetTitle(), Definition: m.GetDefinition().GetDefinition(),
			Value: measureWords(m.GetValue()), LowerIsBetter: m.GetDefinition().GetLowerIsBetter(), Own: m.GetDefinition().GetLocal()}
		var rates []float64
		var given []bool
		for _, pt := range m.GetTrend() {
			bm.Points = append(bm.Points, trendPoint{Month: dateTime(pt.GetAsOf()).Format("January 2006"), Value: measureWords(pt.GetValue())})
			rates = append(rates, pt.GetValue().GetRate())
			given = append(given, !pt.GetValue().GetRateWithheld())
		}
		bm.Trend = sparkline(rates, given)
		p.Own = p.Own || bm.Own
		p.Measures = append(p.Measures, bm)
	}
	return view{template: "board", title: "Partnership board", data: p}, nil
}

// measureWords is a value as the board reads it: "12 of 40 (30%)", with withheld counts
// shown as the report prints them.
func measureWords(v *pb.MeasureValue) string {
	s := v.GetCount().GetDisplay() + " of " + v.GetCohort().GetDisplay()
	if !v.GetRateWithheld() {
		s += fmt.Sprintf(" (%.0f%%)", v.GetRate()*100)
	}
	return s
}

// sparkline draws rates from 0 to 1 as a small line, leaving gaps where a rate is
// withheld. It is decoration beside the same figures in words, so it is hidden from
// screen readers.
func sparkline(rates []float64, given []bool) template.HTML {
	const w, h, pad = 160.0, 40.0, 3.0
	n := 0
	for _, g := range given {
		if g {
			n++
		}
	}
	if n < 2 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="cp-spark" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" aria-hidden="true" focusable="false">`, w, h, w, h)
	fmt.Fprintf(&b, `<line x1="0" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#b1b4b6" stroke-width="1"/>`, h-pad, w, h-pad)
	var path strings.Builder
	pen := "M"
	lastX, lastY := 0.0, 0.0
	for i, r := range rates {
		if !given[i] {
			pen = "M"
			continue
		}
		x := pad + (w-2*pad)*float64(i)/float64(max(len(rates)-1, 1))
		y := h - pad - (h-2*pad)*min(max(r, 0), 1)
		fmt.Fprintf(&path, "%s%.1f %.1f ", pen, x, y)
		pen, lastX, lastY = "L", x, y
	}
	fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="#1d70b8" stroke-width="2"/>`, template.HTMLEscapeString(strings.TrimSpace(path.String())))
	fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#1d70b8"/></svg>`, lastX, lastY)
	return template.HTML(b.String())
}
