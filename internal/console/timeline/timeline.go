// Package timeline draws a young person's pathway from 13 to 25 as an SVG picture for the
// console: one row per plan area, one marker per milestone, the key ages (16, 18, 21, 25)
// and today.
//
// It uses only the standard library: the console turns API messages into an Input, so the
// picture can be tested (and looked at) without a server.
//
// Accessibility (WCAG 2.2 AA): a milestone's state is told by its marker's shape as well as
// its colour (1.4.1), graphics are at least 3:1 and text at least 4.5:1 against white, every
// marker has a <title> ("Pathway plan, due 3 May 2027, overdue") and the picture a <desc>
// with the counts. Styling is by presentation attributes only, because the console's
// Content-Security-Policy refuses inline <style>.
package timeline

import (
	"errors"
	"fmt"
	"hash/fnv"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"
)

// State is a milestone's state as the picture shows it.
type State int

const (
	Achieved  State = iota // done: drawn at its achieved date
	Scheduled              // scheduled or in progress, not yet overdue
	Overdue                // past its due date and not done
	Future                 // planned, not yet due
	Closed                 // waived or not applicable
)

// Item is one milestone.
type Item struct {
	Title string    // "Pathway plan"
	Area  string    // the plan area, one row per distinct area
	Due   time.Time // a date; the marker is drawn here unless the milestone is achieved
	Done  time.Time // the achieved date; zero unless achieved
	State State
	Href  string // optional link to the milestone on the page ("#m-123")
}

// Input is everything the picture shows.
type Input struct {
	Birth, Today time.Time
	Areas        []string // row order; areas not listed follow in first-seen order
	Items        []Item
	Title        string // the picture's accessible name
	// ID prefixes the ids inside the SVG; empty means one derived from the input, so that
	// the same input gives the same bytes and two different pictures on a page differ.
	ID string
}

// stateLook is how a state is drawn and said.
type stateLook struct {
	word   string // in a marker's title
	legend string // in the legend
	count  string // in the desc's counts
	shape  string // SVG drawn around (0,0)
}

// GOV.UK palette; each at least 3:1 against white for graphics, the text colours 4.5:1.
const (
	green    = "#00703c"
	blue     = "#1d70b8"
	red      = "#d4351c"
	darkGrey = "#505a5f"
	black    = "#0b0c0c"
	midGrey  = "#b1b4b6" // decorative grid only
	light    = "#f3f2f1" // row banding only
)

var looks = map[State]stateLook{
	Achieved:  {"achieved", "Achieved", "achieved", `<circle r="6.5" fill="` + green + `"/>`},
	Scheduled: {"scheduled", "Scheduled", "scheduled", `<circle r="5.5" fill="#fff" stroke="` + blue + `" stroke-width="2.5"/>`},
	Overdue:   {"overdue", "Overdue", "overdue", `<path d="M0,-8L7.5,5.5H-7.5Z" fill="` + red + `"/>`},
	Future:    {"to come", "To come", "to come", `<rect x="-4.5" y="-4.5" width="9" height="9" fill="#fff" stroke="` + darkGrey + `" stroke-width="2"/>`},
	Closed:    {"waived or not applicable", "Waived or not applicable", "waived or not applicable", `<path d="M-5,-5L5,5M5,-5L-5,5" fill="none" stroke="` + darkGrey + `" stroke-width="2.5" stroke-linecap="round"/>`},
}

var stateOrder = []State{Achieved, Scheduled, Overdue, Future, Closed}

// Ages on the axis, and the key ones with their labels.
const (
	firstAge = 13
	lastAge  = 25
)

var keyAges = map[int]string{16: "16", 18: "18: leaving care", 21: "21", 25: "25"}

// Layout, in viewBox units. The width is small enough that the text stays legible when a
// phone shrinks the picture to its screen, and large enough for a year to hold a few markers.
const (
	width      = 720.0
	fontSize   = 15.0 // row labels, legend, key ages, Today
	tickSize   = 14.0 // year numbers
	lineHeight = 18.0
	labelX     = 8.0   // row labels' left edge, inside the row's band
	labelWrap  = 150.0 // row labels wrap at this width
	gutter     = 12.0  // between the widest label and the leftmost marker's edge
	markerHalf = 9.0   // half a marker's hit area
	minGap     = 18.0  // markers closer than this on a row go onto another lane
	laneHeight = 22.0
	rowPad     = 7.0
	rightPad   = 24.0
	fontFamily = "arial, sans-serif"
)

// Render draws the picture. It fails only on an input it cannot draw truthfully: no date of
// birth, or a state it does not know.
func Render(in Input) (template.HTML, error) {
	if in.Birth.IsZero() {
		return "", errors.New("timeline: no date of birth")
	}
	for _, it := range in.Items {
		if _, ok := looks[it.State]; !ok {
			return "", fmt.Errorf("timeline: milestone %q has an unknown state %d", it.Title, it.State)
		}
	}
	return template.HTML(draw(in)), nil // #nosec: every piece of text is escaped by w.text/w.attr
}

// attain is the day the young person attains an age. Someone born on 29 February attains
// an age on 1 March in a year that is not a leap year (Family Law Reform Act 1969, s.9), which
// is what time.Date's normalisation of 29 February gives.
func attain(birth time.Time, age int) time.Time {
	b := day(birth)
	return time.Date(b.Year()+age, b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
}

// day is t's calendar date as UTC midnight.
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// scale maps dates to x: every year of age is the same width, so each birthday sits exactly on
// its tick whether the year has 365 or 366 days.
type scale struct {
	birth  time.Time
	x0, x1 float64
}

func (s scale) year() float64 { return (s.x1 - s.x0) / (lastAge - firstAge) }

func (s scale) age(a int) float64 { return s.x0 + float64(a-firstAge)*s.year() }

// at is the x of a date, clamped to the axis; in reports whether it lay within 13..25.
func (s scale) at(t time.Time) (x float64, in bool) {
	d := day(t)
	if d.Before(attain(s.birth, firstAge)) {
		return s.x0, false
	}
	if d.After(attain(s.birth, lastAge)) {
		return s.x1, false
	}
	a := d.Year() - s.birth.Year()
	for attain(s.birth, a).After(d) {
		a--
	}
	if a >= lastAge {
		return s.x1, true
	}
	from, to := attain(s.birth, a), attain(s.birth, a+1)
	frac := float64(d.Sub(from)/(24*time.Hour)) / float64(to.Sub(from)/(24*time.Hour))
	return s.age(a) + frac*s.year(), true
}

// when is where an item is drawn: its achieved date if it has one, else its due date.
func (it Item) when() time.Time {
	if it.State == Achieved && !it.Done.IsZero() {
		return it.Done
	}
	return it.Due
}

// markerTitle says the milestone in words: "Pathway plan, due 3 May 2027, overdue".
func (it Item) markerTitle() string {
	title := strings.TrimSpace(it.Title)
	if title == "" {
		title = "Milestone"
	}
	const layout = "2 January 2006"
	switch {
	case it.State == Achieved && !it.Done.IsZero():
		return title + ", achieved " + it.Done.Format(layout)
	case it.Due.IsZero():
		return title + ", no due date, " + looks[it.State].word
	}
	return title + ", due " + it.Due.Format(layout) + ", " + looks[it.State].word
}

// row is one plan area's band.
type row struct {
	label   string
	lines   []string
	items   []placed
	lanes   int
	top, h  float64
	centreY float64
}

type placed struct {
	Item
	x    float64
	lane int
}

func areaName(a string) string {
	if a = strings.TrimSpace(a); a == "" {
		return "Other"
	}
	return a
}

// rows groups the dated items by area: Areas' order first, then others as first seen.
func rows(in Input) (rs []*row, undated int) {
	byArea := map[string]*row{}
	var order []string
	add := func(a string) {
		if _, ok := byArea[a]; !ok {
			byArea[a] = &row{label: a}
			order = append(order, a)
		}
	}
	for _, a := range in.Areas {
		add(areaName(a))
	}
	for _, it := range in.Items {
		if it.when().IsZero() {
			undated++
			continue
		}
		a := areaName(it.Area)
		add(a)
		byArea[a].items = append(byArea[a].items, placed{Item: it})
	}
	for _, a := range order {
		if r := byArea[a]; len(r.items) > 0 {
			rs = append(rs, r)
		}
	}
	return rs, undated
}

// laneOut places a row's markers at their x and puts any that would touch the previous one
// on the next free lane, so that every marker can be seen and pointed at.
func (r *row) laneOut(s scale) {
	for i := range r.items {
		r.items[i].x, _ = s.at(r.items[i].when())
	}
	slices.SortStableFunc(r.items, func(a, b placed) int {
		switch {
		case a.x < b.x:
			return -1
		case a.x > b.x:
			return 1
		}
		return 0
	})
	var last []float64 // each lane's rightmost x
	for i := range r.items {
		x := r.items[i].x
		lane := slices.IndexFunc(last, func(l float64) bool { return x-l >= minGap })
		if lane < 0 {
			lane = len(last)
			last = append(last, x)
		}
		last[lane] = x
		r.items[i].lane = lane
	}
	r.lanes = max(len(last), 1)
}

func (r *row) height() float64 {
	return max(float64(r.lanes)*laneHeight, float64(len(r.lines))*lineHeight) + 2*rowPad
}

func (r *row) laneY(lane int) float64 {
	return r.centreY + (float64(lane)-float64(r.lanes-1)/2)*laneHeight
}

// idFor derives a stable id prefix from the input.
func idFor(in Input) string {
	if in.ID != "" {
		return in.ID
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%q|%s|%s|%q\n", in.Title, in.Birth.Format(time.DateOnly), in.Today.Format(time.DateOnly), in.Areas)
	for _, it := range in.Items {
		fmt.Fprintf(h, "%q|%q|%s|%s|%d|%q\n", it.Title, it.Area, it.Due.Format(time.DateOnly), it.Done.Format(time.DateOnly), it.State, it.Href)
	}
	return fmt.Sprintf("tl-%012x", h.Sum64()&0xffffffffffff)
}

// safeHref keeps links on the page or the web; anything else (javascript:, data:) is dropped.
func safeHref(h string) (string, bool) {
	if h == "" {
		return "", false
	}
	u, err := url.Parse(h)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "", "http", "https":
		return h, true
	}
	return "", false
}

// description is the <desc>: the counts by state, in words.
func description(items []Item, undated int) string {
	if len(items) == 0 {
		return "There are no milestones yet."
	}
	n := map[State]int{}
	for _, it := range items {
		n[it.State]++
	}
	var parts []string
	for _, s := range stateOrder {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], looks[s].count))
		}
	}
	noun := "milestones"
	if len(items) == 1 {
		noun = "milestone"
	}
	d := fmt.Sprintf("%d %s: %s.", len(items), noun, strings.Join(parts, ", "))
	switch undated {
	case 0:
	case 1:
		d += " 1 has no date and is not shown."
	default:
		d += fmt.Sprintf(" %d have no date and are not shown.", undated)
	}
	return d
}

func draw(in Input) string {
	id := idFor(in)
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = "Pathway from 13 to 25"
	}
	rs, undated := rows(in)

	// The label column is as wide as the widest wrapped label; the axis starts after it.
	labelW := 0.0
	for _, r := range rs {
		r.lines = wrap(r.label, fontSize, labelWrap)
		for _, l := range r.lines {
			labelW = max(labelW, textWidth(l, fontSize, false))
		}
	}
	s := scale{birth: day(in.Birth), x0: max(labelX+labelW+gutter+markerHalf, 24), x1: width - rightPad}

	// Top to bottom: legend, key-age labels, rows, year axis, Today's label.
	legend, legendH := legendItems()
	keyY := legendH + 20
	plotTop := keyY + 9
	y := plotTop
	for _, r := range rs {
		r.laneOut(s)
		r.top, r.h = y, r.height()
		r.centreY = y + r.h/2
		y += r.h
	}
	if len(rs) == 0 {
		y += 44 // room for "No milestones yet"
	}
	plotBottom := y
	todayX, todayIn := 0.0, false
	if !in.Today.IsZero() {
		todayX, todayIn = s.at(in.Today)
	}
	height := plotBottom + 34
	if todayIn {
		height += 20
	}

	w := &writer{}
	w.raw(`<svg xmlns="http://www.w3.org/2000/svg" role="`)
	// role="img" makes its children presentational, which hides links from assistive
	// technology (and axe calls it nested-interactive): with links the picture is a group
	// whose links are read by their titles, and whose decoration is hidden.
	hasLinks := slices.ContainsFunc(in.Items, func(it Item) bool { _, ok := safeHref(it.Href); return ok })
	if hasLinks {
		w.raw(`group`)
	} else {
		w.raw(`img`)
	}
	w.raw(`" aria-labelledby="`)
	w.attr(id + "-title " + id + "-desc")
	w.raw(`" viewBox="0 0 `)
	w.num(width)
	w.raw(" ")
	w.num(height)
	w.raw(`" width="100%" font-family="` + fontFamily + `" font-size="`)
	w.num(fontSize)
	w.raw(`" fill="` + black + `" class="cp-tl">`)
	w.raw(`<title id="`)
	w.attr(id + "-title")
	w.raw(`">`)
	w.text(title)
	w.raw(`</title><desc id="`)
	w.attr(id + "-desc")
	w.raw(`">`)
	w.text(description(in.Items, undated))
	w.raw(`</desc>`)

	// Decoration: said by the desc and the markers' titles, so hidden from assistive technology.
	w.raw(`<g aria-hidden="true">`)
	w.raw(legend)
	for i, r := range rs {
		if i%2 == 0 {
			w.printf(`<rect x="0" y="%s" width="%s" height="%s" fill="`+light+`"/>`, f(r.top), f(width), f(r.h))
		}
	}
	// Year grid, key-age lines and labels, and the axis.
	w.raw(`<g class="cp-tl-axis">`)
	w.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="`+darkGrey+`" stroke-width="1.5"/>`, f(s.x0), f(plotBottom), f(s.x1), f(plotBottom))
	for a := firstAge; a <= lastAge; a++ {
		x := s.age(a)
		label, key := keyAges[a]
		if key {
			w.printf(`<line class="cp-tl-key" data-age="%d" x1="%s" y1="%s" x2="%s" y2="%s" stroke="`+darkGrey+`" stroke-width="2"/>`,
				a, f(x), f(plotTop-4), f(x), f(plotBottom+6))
			w.printf(`<text class="cp-tl-key-label" data-age="%d" x="%s" y="%s" text-anchor="middle" font-weight="700">`, a, f(x), f(keyY))
			w.text(label)
			w.raw(`</text>`)
		} else {
			w.printf(`<line data-age="%d" x1="%s" y1="%s" x2="%s" y2="%s" stroke="`+midGrey+`" stroke-width="1"/>`,
				a, f(x), f(plotTop), f(x), f(plotBottom+6))
		}
		weight := ""
		if key {
			weight = ` font-weight="700"`
		}
		w.printf(`<text class="cp-tl-year" data-age="%d" x="%s" y="%s" text-anchor="middle" font-size="%s"%s>%d</text>`,
			a, f(x), f(plotBottom+22), f(tickSize), weight, a)
	}
	w.raw(`</g>`)
	for _, r := range rs {
		lineY := r.centreY - float64(len(r.lines)-1)/2*lineHeight + fontSize*0.35
		w.printf(`<text class="cp-tl-area" x="%s" y="%s">`, f(labelX), f(lineY))
		for i, l := range r.lines {
			if i == 0 {
				w.printf(`<tspan x="%s">`, f(labelX))
			} else {
				w.printf(`<tspan x="%s" dy="%s">`, f(labelX), f(lineHeight))
			}
			w.text(l)
			w.raw(`</tspan>`)
		}
		w.raw(`</text>`)
	}
	if len(rs) == 0 {
		w.printf(`<text class="cp-tl-empty" x="%s" y="%s" text-anchor="middle" fill="`+darkGrey+`">No milestones yet</text>`,
			f((s.x0+s.x1)/2), f(plotTop+27))
	}
	if todayIn {
		anchor := "middle"
		if tw := textWidth("Today", fontSize, true) / 2; todayX-tw < 0 {
			anchor = "start"
		} else if todayX+tw > width {
			anchor = "end"
		}
		w.printf(`<line class="cp-tl-today" x1="%s" y1="%s" x2="%s" y2="%s" stroke="`+black+`" stroke-width="2" stroke-dasharray="5 3"/>`,
			f(todayX), f(plotTop-4), f(todayX), f(plotBottom+28))
		w.printf(`<text class="cp-tl-today-label" x="%s" y="%s" text-anchor="%s" font-weight="700">Today</text>`,
			f(todayX), f(plotBottom+44), anchor)
	}
	w.raw(`</g>`)

	// Markers, row by row: the only parts a keyboard or screen reader user visits.
	for _, r := range rs {
		w.raw(`<g class="cp-tl-row" data-area="`)
		w.attr(r.label)
		w.raw(`">`)
		for _, p := range r.items {
			href, link := safeHref(p.Href)
			if link {
				w.raw(`<a class="cp-tl-marker" href="`)
				w.attr(href)
				w.raw(`">`)
			} else {
				w.raw(`<g class="cp-tl-marker">`)
			}
			w.raw(`<title>`)
			w.text(p.markerTitle())
			w.raw(`</title>`)
			w.printf(`<g transform="translate(%s %s)" data-state="%s">`, f(p.x), f(r.laneY(p.lane)), stateKey(p.State))
			// A transparent hit area, so thin shapes (the cross) are as easy to point at as the rest.
			w.printf(`<circle r="%s" fill="#fff" fill-opacity="0"/>`, f(markerHalf))
			w.raw(looks[p.State].shape)
			w.raw(`</g>`)
			if link {
				w.raw(`</a>`)
			} else {
				w.raw(`</g>`)
			}
		}
		w.raw(`</g>`)
	}
	w.raw(`</svg>`)
	return w.String()
}

// stateKey names a state in the data-state attribute.
func stateKey(s State) string {
	return [...]string{"achieved", "scheduled", "overdue", "future", "closed"}[s]
}

// legendItems draws the key to the shapes along the top, wrapping if it would not fit.
func legendItems() (string, float64) {
	w := &writer{}
	w.raw(`<g class="cp-tl-legend">`)
	x, y := 0.0, 12.0
	for _, st := range stateOrder {
		l := looks[st]
		itemW := 2*markerHalf + 6 + textWidth(l.legend, fontSize, false)
		if x > 0 && x+itemW > width {
			x, y = 0, y+lineHeight+6
		}
		w.printf(`<g data-state="%s"><g transform="translate(%s %s)">%s</g>`, stateKey(st), f(x+markerHalf), f(y), l.shape)
		w.printf(`<text x="%s" y="%s">`, f(x+2*markerHalf+6), f(y+fontSize*0.35))
		w.text(l.legend)
		w.raw(`</text></g>`)
		x += itemW + 22
	}
	w.raw(`</g>`)
	return w.String(), y + 12
}
