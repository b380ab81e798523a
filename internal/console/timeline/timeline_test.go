package timeline

import (
	"bytes"
	"encoding/xml"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// node is any SVG element, parsed generically.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []*node    `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n *node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// all returns every element below n (n included) that keep accepts, in document order.
func (n *node) all(keep func(*node) bool) []*node {
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		if keep(m) {
			out = append(out, m)
		}
		for _, c := range m.Children {
			walk(c)
		}
	}
	walk(n)
	return out
}

func (n *node) class(c string) []*node {
	return n.all(func(m *node) bool { return slices.Contains(strings.Fields(m.attr("class")), c) })
}

// text is all the character data inside n.
func (n *node) text() string {
	s := n.Text
	for _, c := range n.Children {
		s += c.text()
	}
	return s
}

func (n *node) num(t *testing.T, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return v
}

// marker is a drawn milestone: its title, state and centre.
type marker struct {
	title, state, href string
	x, y               float64
}

func (n *node) markers(t *testing.T) []marker {
	t.Helper()
	var out []marker
	for _, m := range n.class("cp-tl-marker") {
		var mk marker
		mk.href = m.attr("href")
		for _, c := range m.Children {
			switch {
			case c.XMLName.Local == "title":
				mk.title = c.Text
			case c.attr("data-state") != "":
				mk.state = c.attr("data-state")
				mk.x, mk.y = translate(t, c.attr("transform"))
			}
		}
		out = append(out, mk)
	}
	return out
}

func translate(t *testing.T, s string) (x, y float64) {
	t.Helper()
	inner, ok := strings.CutPrefix(s, "translate(")
	fields := strings.Fields(strings.TrimSuffix(inner, ")"))
	if !ok || len(fields) != 2 {
		t.Fatalf("transform %q is not translate(x y)", s)
	}
	x, err1 := strconv.ParseFloat(fields[0], 64)
	y, err2 := strconv.ParseFloat(fields[1], 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("transform %q: %v %v", s, err1, err2)
	}
	return x, y
}

// render draws in and parses the result, failing the test if it is not well-formed XML.
func render(t *testing.T, in Input) (*node, string) {
	t.Helper()
	out, err := Render(in)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	var root node
	if err := xml.NewDecoder(strings.NewReader(string(out))).Decode(&root); err != nil {
		t.Fatalf("the output is not well-formed XML: %v\n%s", err, out)
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("the root is <%s>, want <svg>", root.XMLName.Local)
	}
	return &root, string(out)
}

// ageX is the x of an age's tick, from its year label.
func ageX(t *testing.T, root *node, age int) float64 {
	t.Helper()
	for _, n := range root.class("cp-tl-year") {
		if n.attr("data-age") == strconv.Itoa(age) {
			return n.num(t, "x")
		}
	}
	t.Fatalf("no tick for age %d", age)
	return 0
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.02 }

var mayaBirth = date(2009, time.May, 14)

func TestKeyAgesAreInOrderAtTheirFractions(t *testing.T) {
	root, _ := render(t, Input{Birth: mayaBirth, Today: date(2026, time.June, 1), Title: "Maya’s pathway"})
	x13, x25 := ageX(t, root, 13), ageX(t, root, 25)
	keys := root.class("cp-tl-key")
	var ages []int
	prev := math.Inf(-1)
	for _, k := range keys {
		age, _ := strconv.Atoi(k.attr("data-age"))
		ages = append(ages, age)
		x := k.num(t, "x1")
		if x <= prev {
			t.Errorf("age %d's line at x=%v is not right of the previous key age (%v)", age, x, prev)
		}
		prev = x
		if got, want := (x-x13)/(x25-x13), float64(age-13)/12; !near(got, want) {
			t.Errorf("age %d is at %.4f of the axis, want %.4f", age, got, want)
		}
		if !near(x, ageX(t, root, age)) {
			t.Errorf("age %d's line (%v) is not at its tick label (%v)", age, x, ageX(t, root, age))
		}
	}
	if !slices.Equal(ages, []int{16, 18, 21, 25}) {
		t.Errorf("key ages %v, want [16 18 21 25]", ages)
	}
	var labels []string
	for _, l := range root.class("cp-tl-key-label") {
		labels = append(labels, l.text())
	}
	if !slices.Equal(labels, []string{"16", "18: leaving care", "21", "25"}) {
		t.Errorf("key-age labels %q", labels)
	}
	for a := 13; a <= 25; a++ {
		ageX(t, root, a) // every year has its labelled tick
	}
}

func TestItemOnTheEighteenthBirthdaySitsOnTheTick(t *testing.T) {
	in := Input{Birth: mayaBirth, Items: []Item{
		{Title: "Pathway plan", Area: "Plan and review", Due: date(2027, time.May, 14), State: Future},
		{Title: "Bank account", Area: "Finance", Due: date(2020, time.January, 1), Done: date(2027, time.May, 14), State: Achieved},
	}}
	root, _ := render(t, in)
	x18 := ageX(t, root, 18)
	for _, m := range root.markers(t) {
		if !near(m.x, x18) {
			t.Errorf("%q is at x=%v, want the 18 tick's %v", m.title, m.x, x18)
		}
	}
}

// Someone born on 29 February attains an age on 1 March in a common year, and on 29
// February in a leap year.
func TestLeapDayBirth(t *testing.T) {
	birth := date(2008, time.February, 29)
	if got := attain(birth, 18); !got.Equal(date(2026, time.March, 1)) {
		t.Errorf("18th birthday %v, want 1 March 2026", got)
	}
	if got := attain(birth, 20); !got.Equal(date(2028, time.February, 29)) {
		t.Errorf("20th birthday %v, want 29 February 2028", got)
	}
	in := Input{Birth: birth, Today: date(2026, time.March, 1), Items: []Item{
		{Title: "On the day", Area: "Finance", Due: date(2026, time.March, 1), State: Scheduled},
		{Title: "The day before", Area: "Health", Due: date(2026, time.February, 28), State: Scheduled},
		{Title: "Twentieth", Area: "Identity", Due: date(2028, time.February, 29), State: Future},
	}}
	root, _ := render(t, in)
	x18, x20 := ageX(t, root, 18), ageX(t, root, 20)
	byTitle := map[string]marker{}
	for _, m := range root.markers(t) {
		byTitle[strings.Split(m.title, ",")[0]] = m
	}
	if m := byTitle["On the day"]; !near(m.x, x18) {
		t.Errorf("due on the 18th birthday (1 March): x=%v, want %v", m.x, x18)
	}
	if m := byTitle["The day before"]; m.x >= x18 || m.x < x18-ageX(t, root, 14)+ageX(t, root, 13) {
		t.Errorf("due the day before: x=%v, want just left of %v", m.x, x18)
	}
	if m := byTitle["Twentieth"]; !near(m.x, x20) {
		t.Errorf("due on the 20th birthday (29 February): x=%v, want %v", m.x, x20)
	}
	today := root.class("cp-tl-today")
	if len(today) != 1 || !near(today[0].num(t, "x1"), x18) {
		t.Errorf("today (the 18th birthday) is not drawn at the 18 tick")
	}
}

func TestToday(t *testing.T) {
	for _, c := range []struct {
		name  string
		today time.Time
		age   float64 // where the line is, in years from 13; -1 for no line
	}{
		{"17th birthday", date(2026, time.May, 14), 4},
		{"half way through 20", date(2029, time.November, 12), 7.5},
		{"13th birthday", date(2022, time.May, 14), 0},
		{"25th birthday", date(2034, time.May, 14), 12},
		{"before 13", date(2022, time.May, 13), -1},
		{"after 25", date(2034, time.May, 15), -1},
		{"unknown", time.Time{}, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			root, _ := render(t, Input{Birth: mayaBirth, Today: c.today})
			lines, labels := root.class("cp-tl-today"), root.class("cp-tl-today-label")
			if c.age < 0 {
				if len(lines)+len(labels) != 0 {
					t.Fatalf("a Today line is drawn for %v", c.today)
				}
				return
			}
			if len(lines) != 1 || len(labels) != 1 || labels[0].text() != "Today" {
				t.Fatalf("want one Today line with its label; got %d lines, %d labels", len(lines), len(labels))
			}
			x13, x25 := ageX(t, root, 13), ageX(t, root, 25)
			// 2029-05-14 to 2029-11-12 is 182 of the year's 365 days.
			want := x13 + c.age/12*(x25-x13)
			if c.age == 7.5 {
				want = ageX(t, root, 20) + 182.0/365*(x25-x13)/12
			}
			if got := lines[0].num(t, "x1"); !near(got, want) {
				t.Errorf("Today at x=%v, want %v", got, want)
			}
			if x := labels[0].num(t, "x"); !near(x, want) {
				t.Errorf("Today's label at x=%v, want %v", x, want)
			}
		})
	}
}

func TestDatesOutsideTheAxisAreClamped(t *testing.T) {
	root, _ := render(t, Input{Birth: mayaBirth, Items: []Item{
		{Title: "Early", Area: "Health", Due: date(2015, time.January, 1), State: Achieved, Done: date(2016, time.March, 3)},
		{Title: "Late", Area: "Health", Due: date(2040, time.January, 1), State: Future},
	}})
	ms := root.markers(t)
	if len(ms) != 2 || !near(ms[0].x, ageX(t, root, 13)) || !near(ms[1].x, ageX(t, root, 25)) {
		t.Errorf("markers %+v; want the first at 13 and the second at 25", ms)
	}
	if ms[0].title != "Early, achieved 3 March 2016" || ms[1].title != "Late, due 1 January 2040, to come" {
		t.Errorf("titles %q, %q: a clamped marker still says its real date", ms[0].title, ms[1].title)
	}
}

// Each state has its own shape, so it is not told by colour alone, and the legend shows
// the same shapes with words.
func TestEachStateHasItsOwnShape(t *testing.T) {
	var items []Item
	for _, s := range stateOrder {
		items = append(items, Item{Title: stateKey(s), Area: "Health", Due: date(2024+int(s)*2, time.June, 1), State: s})
	}
	root, _ := render(t, Input{Birth: mayaBirth, Items: items})
	shapes := map[string]string{}
	for _, g := range root.all(func(n *node) bool { return n.attr("data-state") != "" && n.attr("transform") != "" }) {
		var b bytes.Buffer
		for _, c := range g.Children {
			if c.attr("fill-opacity") == "0" {
				continue // the hit area, the same for all
			}
			b.WriteString(c.XMLName.Local)
			for _, a := range c.Attrs {
				if a.Name.Local != "fill" && a.Name.Local != "stroke" {
					b.WriteString(" " + a.Name.Local + "=" + a.Value)
				}
			}
		}
		shapes[g.attr("data-state")] = b.String() // the geometry without its colours
	}
	if len(shapes) != len(stateOrder) {
		t.Fatalf("states drawn: %v", shapes)
	}
	seen := map[string]string{}
	for st, sh := range shapes {
		if other, dup := seen[sh]; dup {
			t.Errorf("%s and %s are the same shape (%s) in different colours", st, other, sh)
		}
		seen[sh] = st
	}
	var legend []string
	for _, g := range root.class("cp-tl-legend")[0].Children {
		legend = append(legend, g.attr("data-state")+":"+g.text())
	}
	want := []string{"achieved:Achieved", "scheduled:Scheduled", "overdue:Overdue", "future:To come", "closed:Waived or not applicable"}
	if !slices.Equal(legend, want) {
		t.Errorf("legend %q, want %q", legend, want)
	}
	titles := map[string]string{}
	for _, m := range root.markers(t) {
		titles[m.state] = m.title
	}
	if got := titles["overdue"]; got != "overdue, due 1 June 2028, overdue" {
		t.Errorf("overdue marker's title %q", got)
	}
}

func TestTextIsEscaped(t *testing.T) {
	nasty := `<script>alert("x")</script> & 'co'`
	in := Input{Birth: mayaBirth, Today: date(2026, time.June, 1), Title: `Sam & <b>"Jo"</b>`, Items: []Item{
		{Title: nasty, Area: `<i>Health</i> & "care"`, Due: date(2027, time.May, 3), State: Overdue, Href: `#m-1"><script>`},
		{Title: "Bad link", Area: "Health", Due: date(2027, time.June, 3), State: Future, Href: "javascript:alert(1)"},
		{Title: "Data link", Area: "Health", Due: date(2027, time.July, 3), State: Future, Href: " data:text/html,x"},
	}}
	root, out := render(t, in)
	if strings.Contains(out, "<script") || strings.Contains(out, "<b>") || strings.Contains(out, "<i>") {
		t.Fatalf("user text became markup:\n%s", out)
	}
	if strings.Contains(out, "javascript:") || strings.Contains(out, "data:") {
		t.Errorf("an unsafe link was kept:\n%s", out)
	}
	ms := root.markers(t)
	if ms[0].title != nasty+", due 3 May 2027, overdue" {
		t.Errorf("the title reads %q", ms[0].title)
	}
	if ms[0].href != `#m-1"><script>` {
		t.Errorf("the link is %q", ms[0].href)
	}
	if ms[1].href != "" || ms[2].href != "" {
		t.Errorf("unsafe links kept: %q, %q", ms[1].href, ms[2].href)
	}
	if got := root.all(func(n *node) bool { return n.XMLName.Local == "title" })[0].text(); got != in.Title {
		t.Errorf("the picture's title reads %q", got)
	}
	if got := root.class("cp-tl-area")[0].text(); got != `<i>Health</i> & "care"` {
		t.Errorf("the row label reads %q", got)
	}
}

func TestAccessibleNameAndDescription(t *testing.T) {
	var items []Item
	add := func(n int, s State) {
		for i := range n {
			items = append(items, Item{Title: "M", Area: "Health", Due: date(2024, time.Month(i+1), 1), State: s, Href: "#m"})
		}
	}
	add(5, Achieved)
	add(3, Scheduled)
	add(2, Overdue)
	add(2, Future)
	root, _ := render(t, Input{Birth: mayaBirth, Items: items, Title: "Maya’s pathway from 13 to 25"})
	labelled := strings.Fields(root.attr("aria-labelledby"))
	if len(labelled) != 2 {
		t.Fatalf("aria-labelledby=%q", root.attr("aria-labelledby"))
	}
	byID := map[string]*node{}
	for _, n := range root.all(func(n *node) bool { return n.attr("id") != "" }) {
		byID[n.attr("id")] = n
	}
	title, desc := byID[labelled[0]], byID[labelled[1]]
	if title == nil || title.XMLName.Local != "title" || title.text() != "Maya’s pathway from 13 to 25" {
		t.Errorf("aria-labelledby's first id is not the title")
	}
	if desc == nil || desc.XMLName.Local != "desc" || desc.text() != "12 milestones: 5 achieved, 3 scheduled, 2 overdue, 2 to come." {
		t.Errorf("desc: %+v", desc)
	}
	if root.attr("width") != "100%" || !strings.HasPrefix(root.attr("viewBox"), "0 0 ") {
		t.Errorf("not responsive: width=%q viewBox=%q", root.attr("width"), root.attr("viewBox"))
	}
	// Links inside role="img" would be hidden from screen readers, so with links it is a group.
	if root.attr("role") != "group" {
		t.Errorf("role=%q with links, want group", root.attr("role"))
	}
	root, _ = render(t, Input{Birth: mayaBirth, Items: []Item{{Title: "One", Due: date(2025, 1, 1), State: Closed}, {Title: "Undated", State: Future}}})
	if root.attr("role") != "img" {
		t.Errorf("role=%q without links, want img", root.attr("role"))
	}
	if got := root.all(func(n *node) bool { return n.XMLName.Local == "desc" })[0].text(); got != "2 milestones: 1 to come, 1 waived or not applicable. 1 has no date and is not shown." {
		t.Errorf("desc %q", got)
	}
}

func TestRowsFollowTheAreasOrder(t *testing.T) {
	in := Input{Birth: mayaBirth, Areas: []string{"Health", "Finance", "Accommodation", "Identity"}, Items: []Item{
		{Title: "a", Area: "Identity", Due: date(2025, 1, 1), State: Future},
		{Title: "b", Area: "Hobbies", Due: date(2025, 1, 1), State: Future},
		{Title: "c", Area: "Health", Due: date(2025, 1, 1), State: Future},
		{Title: "d", Area: "Finance", Due: date(2025, 1, 1), State: Future},
		{Title: "e", Area: "", Due: date(2025, 1, 1), State: Future},
		{Title: "f", Area: "Hobbies", Due: date(2026, 1, 1), State: Future},
	}}
	root, _ := render(t, in)
	var areas, labels []string
	for _, r := range root.class("cp-tl-row") {
		areas = append(areas, r.attr("data-area"))
	}
	prevY := math.Inf(-1)
	for _, l := range root.class("cp-tl-area") {
		labels = append(labels, l.text())
		if y := l.num(t, "y"); y <= prevY {
			t.Errorf("row %q is not below the one before", l.text())
		} else {
			prevY = y
		}
	}
	want := []string{"Health", "Finance", "Identity", "Hobbies", "Other"} // no Accommodation: it has nothing
	if !slices.Equal(areas, want) || !slices.Equal(labels, want) {
		t.Errorf("rows %q, labels %q; want %q", areas, labels, want)
	}
}

func TestNoMilestones(t *testing.T) {
	root, _ := render(t, Input{Birth: mayaBirth, Today: date(2025, 3, 1), Areas: []string{"Health"}, Title: "Empty"})
	if got := root.all(func(n *node) bool { return n.XMLName.Local == "desc" })[0].text(); !strings.Contains(got, "no milestones") {
		t.Errorf("desc %q", got)
	}
	if len(root.class("cp-tl-key")) != 4 || len(root.class("cp-tl-year")) != 13 || len(root.class("cp-tl-today")) != 1 {
		t.Errorf("the axes are not all drawn")
	}
	if len(root.class("cp-tl-marker")) != 0 || len(root.class("cp-tl-empty")) != 1 {
		t.Errorf("want no markers and a 'No milestones yet' note")
	}
}

// Nothing is drawn over the row labels, markers on a row do not touch, and the key ages'
// labels do not run into each other or off the picture.
func TestNothingOverlaps(t *testing.T) {
	in := maya()
	in.Items = append(in.Items, Item{Title: "Very early", Area: "Education, employment and training", Due: date(2001, 1, 1), State: Achieved})
	root, _ := render(t, in)
	labelRight := 0.0
	for _, l := range root.class("cp-tl-area") {
		for _, span := range l.Children {
			labelRight = max(labelRight, l.num(t, "x")+textWidth(span.text(), fontSize, false))
			if w := textWidth(span.text(), fontSize, false); w > labelWrap {
				t.Errorf("label line %q is %v wide, more than %v", span.text(), w, labelWrap)
			}
		}
	}
	ms := root.markers(t)
	for i, m := range ms {
		if m.x-markerHalf < labelRight+4 {
			t.Errorf("%q (x=%v) reaches into the labels (right edge %v)", m.title, m.x, labelRight)
		}
		for _, o := range ms[i+1:] {
			if math.Abs(m.x-o.x) < 2*markerHalf-1 && math.Abs(m.y-o.y) < 2*markerHalf-1 {
				t.Errorf("%q and %q overlap", m.title, o.title)
			}
		}
	}
	if x := ageX(t, root, 13); x-textWidth("13", tickSize, true)/2 < labelRight {
		t.Errorf("the 13 tick's label runs into the row labels")
	}
	vb := strings.Fields(root.attr("viewBox"))
	width, _ := strconv.ParseFloat(vb[2], 64)
	prevRight := 0.0
	for _, l := range root.class("cp-tl-key-label") {
		half := textWidth(l.text(), fontSize, true) / 2
		x := l.num(t, "x")
		if x-half < prevRight+4 || x+half > width {
			t.Errorf("key-age label %q (%v..%v) overlaps its neighbour or the edge", l.text(), x-half, x+half)
		}
		prevRight = x + half
	}
}

func TestErrors(t *testing.T) {
	if _, err := Render(Input{}); err == nil {
		t.Error("no date of birth: no error")
	}
	if _, err := Render(Input{Birth: mayaBirth, Items: []Item{{Title: "x", Due: date(2025, 1, 1), State: State(9)}}}); err == nil {
		t.Error("an unknown state: no error")
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := Render(maya())
	b, _ := Render(maya())
	if a != b {
		t.Fatal("the same input gave different output")
	}
	other := maya()
	other.Items[0].Title += "!"
	c, _ := Render(other)
	if idFor(maya()) == idFor(other) || a == c {
		t.Error("different inputs share an id")
	}
	named := maya()
	named.ID = "tl-main"
	root, _ := render(t, named)
	if root.attr("aria-labelledby") != "tl-main-title tl-main-desc" {
		t.Errorf("Input.ID is not used: %q", root.attr("aria-labelledby"))
	}
}

// maya is a realistic pathway: many milestones around 16 and 18, some overdue, some done.
func maya() Input {
	b := mayaBirth
	at := func(years, months int) time.Time { return b.AddDate(years, months, 0) }
	return Input{
		Birth: b, Today: date(2026, time.September, 1),
		Title: "Maya Patel’s pathway from 13 to 25",
		Areas: []string{"Plan and review", "Accommodation", "Education, employment and training", "Finance", "Health", "Identity", "Relationships", "Practical skills"},
		Items: []Item{
			{Title: "Needs assessment", Area: "Plan and review", Due: at(15, 9), Done: at(15, 10), State: Achieved, Href: "#m-1"},
			{Title: "Pathway plan", Area: "Plan and review", Due: at(16, 0), Done: at(16, 1), State: Achieved, Href: "#m-2"},
			{Title: "Personal adviser named", Area: "Plan and review", Due: at(16, 3), State: Overdue, Href: "#m-3"},
			{Title: "Pathway plan review", Area: "Plan and review", Due: at(17, 6), State: Scheduled, Href: "#m-4"},
			{Title: "Pathway plan review", Area: "Plan and review", Due: at(18, 0), State: Future, Href: "#m-5"},
			{Title: "Staying Put discussed", Area: "Accommodation", Due: at(17, 0), State: Scheduled, Href: "#m-6"},
			{Title: "Housing application", Area: "Accommodation", Due: at(17, 6), State: Future, Href: "#m-7"},
			{Title: "Tenancy ready", Area: "Accommodation", Due: at(18, 0), State: Future, Href: "#m-8"},
			{Title: "Personal education plan", Area: "Education, employment and training", Due: at(14, 0), Done: at(14, 1), State: Achieved, Href: "#m-9"},
			{Title: "Careers advice", Area: "Education, employment and training", Due: at(16, 6), State: Overdue, Href: "#m-10"},
			{Title: "College place", Area: "Education, employment and training", Due: at(17, 3), State: Scheduled, Href: "#m-11"},
			{Title: "Bursary", Area: "Education, employment and training", Due: at(18, 2), State: Future, Href: "#m-12"},
			{Title: "Bank account", Area: "Finance", Due: at(16, 0), Done: at(16, 4), State: Achieved, Href: "#m-13"},
			{Title: "National Insurance number", Area: "Finance", Due: at(16, 0), Done: at(16, 0), State: Achieved, Href: "#m-14"},
			{Title: "Junior ISA handed over", Area: "Finance", Due: at(18, 0), State: Future, Href: "#m-15"},
			{Title: "Health assessment", Area: "Health", Due: at(17, 0), State: Scheduled, Href: "#m-16"},
			{Title: "GP registration", Area: "Health", Due: at(17, 11), State: Future, Href: "#m-17"},
			{Title: "Health history summary", Area: "Health", Due: at(18, 0), State: Closed, Href: "#m-18"},
			{Title: "Passport", Area: "Identity", Due: at(16, 6), Done: at(16, 8), State: Achieved, Href: "#m-19"},
			{Title: "Birth certificate", Area: "Identity", Due: at(16, 6), State: Overdue, Href: "#m-20"},
			{Title: "Life story work", Area: "Relationships", Due: at(17, 0), State: Future, Href: "#m-21"},
			{Title: "Cooking course", Area: "Practical skills", Due: at(17, 2), State: Future, Href: "#m-22"},
			{Title: "Support to 25 offered", Area: "Plan and review", Due: at(21, 0), State: Future, Href: "#m-23"},
			{Title: "Leaving care grant", Area: "Finance", Due: at(20, 0), State: Future, Href: "#m-24"},
		},
	}
}

// TestGolden keeps a picture a reviewer can open: testdata/maya.svg (go test -update).
func TestGolden(t *testing.T) {
	out, err := Render(maya())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "maya.svg")
	got := []byte(string(out) + "\n")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the output differs from %s; look at it, then go test -update", path)
	}
}
