package console

import (
	"net/url"
	"strconv"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// cliffEdgePage is the council's cliff edge: who turns 18 soon (or is 18 to 24) with
// something not ready, with the API's filters, sort and ratings, and the summary by check
// and by ambition.
type cliffEdgePage struct {
	Filter    cliffEdgeFilter
	Summary   *pb.CliffEdgeSummary
	Entries   []*pb.CliffEdgeEntry
	Total     int32
	AsOf      string
	NextPage  string
	Bars      []bar
	Ambitions []bar
	// CheckTitles names the checks the entries list by key, so no code is shown bare.
	CheckTitles map[string]string
}

// FailingTitles are an entry's failing checks in words.
func (p cliffEdgePage) FailingTitles(e *pb.CliffEdgeEntry) []string {
	out := make([]string, 0, len(e.GetFailingChecks()))
	for _, k := range e.GetFailingChecks() {
		if title, ok := p.CheckTitles[k]; ok && title != "" {
			k = title
		}
		out = append(out, k)
	}
	return out
}

type cliffEdgeFilter struct {
	Population string // "turning-18" or "adults"
	WithinDays int
	Ratings    map[string]bool
	OrderBy    string
	Check      string
	PageToken  string
}

// bar is one bar of a small bar chart drawn with CSS widths (a picture with the number in
// words beside it).
type bar struct {
	Label   string
	Count   int32
	Percent int
	Href    string
}

func parseCliffEdgeFilter(q url.Values) cliffEdgeFilter {
	f := cliffEdgeFilter{Population: q.Get("population"), OrderBy: q.Get("sort"), Check: q.Get("check"),
		PageToken: q.Get("page"), Ratings: map[string]bool{}}
	if f.Population != "adults" {
		f.Population = "turning-18"
	}
	f.WithinDays, _ = strconv.Atoi(q.Get("within"))
	if f.WithinDays <= 0 || f.WithinDays > 3660 {
		f.WithinDays = 180
	}
	for _, r := range q["rating"] {
		if r == "red" || r == "amber" || r == "green" {
			f.Ratings[r] = true
		}
	}
	switch f.OrderBy {
	case "eighteenth_birthday", "fix_by", "rating":
	default:
		f.OrderBy = "eighteenth_birthday"
	}
	return f
}

func (f cliffEdgeFilter) view() *pb.CliffEdgeView {
	v := &pb.CliffEdgeView{Population: pb.CliffEdgeView_TURNING_18, WithinDays: int32(f.WithinDays), Check: f.Check}
	if f.Population == "adults" {
		v = &pb.CliffEdgeView{Population: pb.CliffEdgeView_ADULTS_WITH_GAPS, Check: f.Check}
	}
	for _, r := range []struct {
		key    string
		rating pb.Rating
	}{{"red", pb.Rating_RATING_RED}, {"amber", pb.Rating_RATING_AMBER}, {"green", pb.Rating_RATING_GREEN}} {
		if f.Ratings[r.key] {
			v.Ratings = append(v.Ratings, r.rating)
		}
	}
	return v
}

// query is the filter as a query string, with a check or page changed.
func (f cliffEdgeFilter) Query(check, page string) string {
	q := url.Values{"population": {f.Population}, "sort": {f.OrderBy}}
	if f.Population == "turning-18" {
		q.Set("within", strconv.Itoa(f.WithinDays))
	}
	for _, r := range []string{"red", "amber", "green"} {
		if f.Ratings[r] {
			q.Add("rating", r)
		}
	}
	if check != "" {
		q.Set("check", check)
	}
	if page != "" {
		q.Set("page", page)
	}
	return "?" + q.Encode()
}

const cliffEdgePageSize = 25

func (c *Console) cliffEdge(cl *call) (view, error) {
	f := parseCliffEdgeFilter(cl.r.URL.Query())
	parent := "organisations/" + cl.sess.Organisation
	summary, err := c.clients.readiness.SummarizeCliffEdge(cl.ctx, &pb.SummarizeCliffEdgeRequest{Parent: parent, View: f.view()})
	if err != nil {
		return view{}, err
	}
	list, err := c.clients.readiness.ListCliffEdgeAssessments(cl.ctx, &pb.ListCliffEdgeAssessmentsRequest{
		Parent: parent, View: f.view(), OrderBy: f.OrderBy, PageSize: cliffEdgePageSize, PageToken: f.PageToken})
	if err != nil {
		return view{}, err
	}
	p := cliffEdgePage{Filter: f, Summary: summary, Entries: list.GetEntries(), Total: list.GetTotalSize(),
		AsOf: formatDate(list.GetAsOf())}
	if list.GetNextPageToken() != "" {
		p.NextPage = Prefix + "cliff-edge" + f.Query(f.Check, list.GetNextPageToken())
	}
	p.CheckTitles = map[string]string{}
	for _, c := range summary.GetByCheck() {
		p.CheckTitles[c.GetKey()] = c.GetTitle()
	}
	p.Bars = bars(summary.GetByCheck(), summary.GetTotal(), func(k string) string { return Prefix + "cliff-edge" + f.Query(k, "") })
	p.Ambitions = bars(summary.GetByAmbition(), summary.GetTotal(), nil)
	return view{template: "cliff-edge", title: "Cliff edge", data: p}, nil
}

func bars(counts []*pb.CliffEdgeSummary_Count, total int32, href func(key string) string) []bar {
	var out []bar
	for _, c := range counts {
		b := bar{Label: c.GetTitle(), Count: c.GetCount()}
		if b.Label == "" {
			b.Label = c.GetKey()
		}
		if total > 0 {
			b.Percent = int(c.GetCount() * 100 / total)
		}
		if href != nil {
			b.Href = href(c.GetKey())
		}
		out = append(out, b)
	}
	return out
}
