package board

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"

	"github.com/carepath/carepath/internal/platform/gateway"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// CSV writes a board report as one long table, a row per number: section (measure,
// action, agency, cliff_edge), item (the measure's key, the action's or agency's name),
// title, Ofsted group, ambitions, group (council, a team, a month), date, metric, value
// and, for a measure, who defined it (national, or the council's own). Counts are as the
// report gives them ("<5" and "c" for those withheld); a withheld rate has no row. A table
// of one shape is what spreadsheets and committee papers pivot best; the last column is
// last so that readers of the older shape find every other one where it was.
func CSV(r *pb.BoardReport) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"council", "as_of", "section", "item", "title", "ofsted_group", "ambitions", "group", "date", "metric", "value", "defined_by"})
	own := map[string]bool{}
	for _, m := range r.GetMeasures() {
		own[m.GetDefinition().GetKey()] = m.GetDefinition().GetLocal()
	}
	put := func(section, item, title, group, ambitions, group2 string, d *date.Date, metric, value string) {
		by := ""
		if section == "measure" {
			by = definedBy(own[item])
		}
		_ = w.Write([]string{r.GetCouncilDisplayName(), day(r.GetAsOf()), section, item, title, group, ambitions, group2, day(d), metric, value, by})
	}
	for _, m := range r.GetMeasures() {
		def := m.GetDefinition()
		value := func(group string, d *date.Date, v *pb.MeasureValue) {
			put("measure", def.GetKey(), def.GetTitle(), ofsted(def.GetOfstedGroup()), strings.Join(m.GetAmbitions(), " "), group, d, "count", v.GetCount().GetDisplay())
			put("measure", def.GetKey(), def.GetTitle(), ofsted(def.GetOfstedGroup()), strings.Join(m.GetAmbitions(), " "), group, d, "cohort", v.GetCohort().GetDisplay())
			if !v.GetRateWithheld() {
				put("measure", def.GetKey(), def.GetTitle(), ofsted(def.GetOfstedGroup()), strings.Join(m.GetAmbitions(), " "), group, d, "rate", rate(v))
			}
		}
		value("council", r.GetAsOf(), m.GetValue())
		for _, t := range m.GetByTeam() {
			value("team "+teamName(t.GetTeam()), r.GetAsOf(), t.GetValue())
		}
		for _, p := range m.GetTrend() {
			value("month", p.GetAsOf(), p.GetValue())
		}
		for _, t := range m.GetTargets() {
			put("measure", def.GetKey(), def.GetTitle(), ofsted(def.GetOfstedGroup()), strings.Join(m.GetAmbitions(), " "), "target of "+t.GetAction(),
				t.GetDueDate(), "target", strconv.FormatFloat(t.GetTarget(), 'f', 3, 64))
		}
	}
	for _, a := range r.GetActions() {
		for _, kv := range [][2]string{{"lead", a.GetLeadOrganisationDisplayName()}, {"status", strings.TrimPrefix(a.GetStatus().String(), "ACTION_STATUS_")},
			{"rating", ratingName(a.GetRating())}, {"rating_reason", a.GetRatingReason()}, {"measure", strings.TrimPrefix(a.GetMeasure(), "measureDefinitions/")},
			{"baseline", strconv.FormatFloat(a.GetBaseline(), 'f', 3, 64)}, {"target", strconv.FormatFloat(a.GetTarget(), 'f', 3, 64)}} {
			put("action", a.GetName(), a.GetTitle(), "", strings.Join(a.GetAmbitions(), " "), "", a.GetDueDate(), kv[0], kv[1])
		}
	}
	for _, g := range r.GetAgencies() {
		for _, kv := range [][2]string{{"milestones_due", g.GetMilestonesDue().GetDisplay()}, {"milestones_done", g.GetMilestonesDone().GetDisplay()},
			{"milestones_overdue", g.GetMilestonesOverdue().GetDisplay()}, {"max_days_overdue", strconv.Itoa(int(g.GetMaxDaysOverdue()))},
			{"mean_days_overdue", strconv.Itoa(int(g.GetMeanDaysOverdue()))}, {"facts_recorded", g.GetFactsRecorded().GetDisplay()},
			{"actions", strconv.Itoa(int(g.GetActions()))}, {"actions_red", strconv.Itoa(int(g.GetActionsRed()))},
			{"actions_amber", strconv.Itoa(int(g.GetActionsAmber()))}, {"actions_green", strconv.Itoa(int(g.GetActionsGreen()))}} {
			put("agency", g.GetOrganisation(), g.GetDisplayName(), "", "", "", r.GetAsOf(), kv[0], kv[1])
		}
	}
	c := r.GetCliffEdge()
	for _, x := range []struct {
		name string
		n    *pb.BoardCount
	}{{"total", c.GetTotal()}, {"red", c.GetRed()}, {"amber", c.GetAmber()}, {"green", c.GetGreen()}} {
		put("cliff_edge", "turning_18_in_6_months", "Turning 18 in the next six months", "", "", "council", c.GetAsOf(), x.name, x.n.GetDisplay())
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// definedBy says whose a measure is: the national catalogue's or the council's own.
func definedBy(local bool) string {
	if local {
		return "council"
	}
	return "national"
}

func ratingName(r pb.Rating) string { return strings.TrimPrefix(r.String(), "RATING_") }

func day(d *date.Date) string {
	if d == nil {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

func rate(v *pb.MeasureValue) string {
	if v.GetRateWithheld() {
		return ""
	}
	return strconv.FormatFloat(v.GetRate(), 'f', 3, 64)
}

func ofsted(g pb.OfstedGroup) string { return strings.TrimPrefix(g.String(), "OFSTED_GROUP_") }

var ofstedTitles = map[pb.OfstedGroup]string{
	pb.OfstedGroup_OFSTED_GROUP_RELATIONSHIPS:     "Relationships",
	pb.OfstedGroup_OFSTED_GROUP_VOICE:             "Voice",
	pb.OfstedGroup_OFSTED_GROUP_HEALTH:            "Health",
	pb.OfstedGroup_OFSTED_GROUP_LEARNING_AND_WORK: "Learning and work",
	pb.OfstedGroup_OFSTED_GROUP_DECISION_MAKING:   "Decision-making",
}

func teamName(t string) string {
	if t == "" {
		return "no personal adviser"
	}
	return t
}

//go:embed report.html.tmpl
var templates embed.FS

var page = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"day": day, "rate": rate, "ofstedTitle": func(g pb.OfstedGroup) string { return ofstedTitles[g] },
	"team": teamName, "trend": trendChart, "percent": percent,
	"rows":   func(m *pb.BoardMeasure) int { return 1 + len(m.GetByTeam()) },
	"rating": ratingName, "status": func(st pb.ActionStatus) string {
		return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(st.String(), "ACTION_STATUS_")), "_", " ")
	},
	"pct":    func(f float64) string { return strconv.FormatFloat(100*f, 'f', 0, 64) + "%" },
	"add":    func(a, b int) int { return a + b },
	"height": func(rs []ratingBar) int { return 24 * len(rs) },
}).ParseFS(templates, "report.html.tmpl"))

// pageData is what the page template reads: the report, its measures grouped by Ofsted
// group, and the bars of each ambition.
type pageData struct {
	R *pb.BoardReport
	// Own is how many of the measures are the council's own.
	Own       int
	Groups    []group
	Ambitions []ambitionBars
	Ratings   []ratingBar
}

// ratingBar is one ambition's actions by rating, as a stacked SVG bar (widths in px, 30
// each).
type ratingBar struct {
	Key, Title           string
	Red, Amber, Green    int
	RedW, AmberW, GreenW int
	Y                    int
}

type group struct {
	Title    string
	Measures []*pb.BoardMeasure
}

type ambitionBars struct {
	Key, Title string
	Bars       []bar
	Height     int
}

// bar is one measure's rate in an ambition's chart, as SVG coordinates.
type bar struct {
	Label    string
	Width    float64
	Y        int
	Text     string
	Withheld bool
}

// HTML writes a board report as a printable page (GOV.UK Design System look, plain CSS)
// with server-drawn SVG charts: each measure's monthly trend, and its latest rate in bars
// under each of the council's ambitions.
func HTML(r *pb.BoardReport) ([]byte, error) {
	d := pageData{R: r}
	for _, m := range r.GetMeasures() {
		if m.GetDefinition().GetLocal() {
			d.Own++
		}
		title := ofstedTitles[m.GetDefinition().GetOfstedGroup()]
		if n := len(d.Groups); n == 0 || d.Groups[n-1].Title != title {
			d.Groups = append(d.Groups, group{Title: title})
		}
		d.Groups[len(d.Groups)-1].Measures = append(d.Groups[len(d.Groups)-1].Measures, m)
	}
	for _, a := range r.GetAmbitions() {
		ab := ambitionBars{Key: a.GetKey(), Title: a.GetTitle()}
		for _, m := range r.GetMeasures() {
			if !contains(m.GetAmbitions(), a.GetKey()) {
				continue
			}
			v := m.GetValue()
			label := m.GetDefinition().GetTitle()
			if m.GetDefinition().GetLocal() {
				label += " (council's own)"
			}
			b := bar{Label: label, Y: 24 * len(ab.Bars), Withheld: v.GetRateWithheld(), Text: "withheld or none"}
			if !b.Withheld {
				b.Width, b.Text = 300*v.GetRate(), percent(v)
			}
			ab.Bars = append(ab.Bars, b)
		}
		ab.Height = 24 * len(ab.Bars)
		d.Ambitions = append(d.Ambitions, ab)
	}
	keys := []*pb.BoardAmbition{}
	keys = append(keys, r.GetAmbitions()...)
	keys = append(keys, &pb.BoardAmbition{Key: "", Title: "No ambition named"})
	for _, a := range keys {
		rb := ratingBar{Key: a.GetKey(), Title: a.GetTitle(), Y: 24 * len(d.Ratings)}
		for _, act := range r.GetActions() {
			if a.GetKey() == "" && len(act.GetAmbitions()) > 0 || a.GetKey() != "" && !contains(act.GetAmbitions(), a.GetKey()) {
				continue
			}
			switch act.GetRating() {
			case pb.Rating_RATING_RED:
				rb.Red++
			case pb.Rating_RATING_AMBER:
				rb.Amber++
			case pb.Rating_RATING_GREEN:
				rb.Green++
			}
		}
		if a.GetKey() == "" && rb.Red+rb.Amber+rb.Green == 0 {
			continue
		}
		rb.RedW, rb.AmberW, rb.GreenW = 30*rb.Red, 30*rb.Amber, 30*rb.Green
		d.Ratings = append(d.Ratings, rb)
	}
	var buf bytes.Buffer
	err := page.Execute(&buf, d)
	return buf.Bytes(), err
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func percent(v *pb.MeasureValue) string {
	if v.GetRateWithheld() {
		return "–"
	}
	return strconv.FormatFloat(100*v.GetRate(), 'f', 0, 64) + "%"
}

// trend is a measure's monthly line as SVG: the points of the months whose rate is given
// (a withheld month is a gap), on a 0-100% scale.
type trend struct {
	Segments    []string // polyline points, one per run of given months
	Dots        []dot
	First, Last string // the first and last months' dates, under the axis
	// Targets are the y of each target the plan sets for the measure.
	Targets []float64
}

type dot struct{ X, Y float64 }

// The plot area of a trend chart, inside its 300 by 90 box (labels around it).
const (
	plotX, plotW, plotY, plotH = 40, 250, 5, 60
)

func trendChart(m *pb.BoardMeasure) trend {
	ps := m.GetTrend()
	var t trend
	if len(ps) > 0 {
		t.First, t.Last = day(ps[0].GetAsOf()), day(ps[len(ps)-1].GetAsOf())
	}
	step := float64(plotW) / float64(max(len(ps)-1, 1))
	var run []string
	for i, p := range ps {
		if p.GetValue().GetRateWithheld() {
			if len(run) > 0 {
				t.Segments, run = append(t.Segments, strings.Join(run, " ")), nil
			}
			continue
		}
		x, y := plotX+step*float64(i), plotY+plotH*(1-p.GetValue().GetRate())
		run = append(run, fmt.Sprintf("%.1f,%.1f", x, y))
		t.Dots = append(t.Dots, dot{x, y})
	}
	if len(run) > 0 {
		t.Segments = append(t.Segments, strings.Join(run, " "))
	}
	for _, x := range m.GetTargets() {
		t.Targets = append(t.Targets, plotY+plotH*(1-x.GetTarget()))
	}
	return t
}

// ReportPath matches the REST path of a board report, to which Formats' suffixes may be
// added.
var ReportPath = regexp.MustCompile(`^/v1/organisations/[a-z]([a-z0-9-]{0,61}[a-z0-9])?/boardReport$`)

// Formats are the board report's other forms over REST: CSV and the printable page.
func Formats() []gateway.Format {
	name := (&pb.BoardReport{}).ProtoReflect().Descriptor().FullName()
	return []gateway.Format{
		{MIME: "text/csv", Suffix: ".csv", Message: name, Render: func(m proto.Message) ([]byte, error) { return CSV(m.(*pb.BoardReport)) }},
		{MIME: "text/html", Suffix: ".html", Message: name, Render: func(m proto.Message) ([]byte, error) { return HTML(m.(*pb.BoardReport)) }},
	}
}
