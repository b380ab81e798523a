package console

import (
	"golang.org/x/sync/errgroup"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// caseloadPage is a personal adviser's caseload, a page at a time, and what is overdue
// across it.
type caseloadPage struct {
	People   []*pb.YoungPerson
	Overdue  []overdueRow
	NextPage string
	More     bool // more overdue milestones than shown
}

type overdueRow struct {
	M           *pb.Milestone
	YoungPerson string
	Name        string
}

const (
	caseloadPageSize = 25
	overdueShown     = 25
)

func (c *Console) caseload(cl *call) (view, error) {
	me := `personal_adviser = "people/` + cl.sess.Subject + `"`
	var p caseloadPage
	var people *pb.ListYoungPeopleResponse
	var overdue *pb.ListMilestonesResponse
	// Two calls, however large the caseload: the page of young people, and the overdue
	// milestones across all of them (youngPeople/- with a filter), not one call per row.
	g, ctx := errgroup.WithContext(cl.ctx)
	g.Go(func() (err error) {
		people, err = c.clients.people.ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{Filter: me,
			PageSize: caseloadPageSize, PageToken: cl.r.URL.Query().Get("page")})
		return err
	})
	g.Go(func() (err error) {
		overdue, err = c.clients.pathways.ListMilestones(ctx, &pb.ListMilestonesRequest{Parent: "youngPeople/-",
			Filter: "overdue = true AND " + me, PageSize: overdueShown})
		return err
	})
	if err := g.Wait(); err != nil {
		return view{}, err
	}
	p.People = people.GetYoungPeople()
	if t := people.GetNextPageToken(); t != "" {
		p.NextPage = Prefix + "caseload?page=" + t
	}
	names := map[string]string{}
	for _, y := range p.People {
		names[y.GetName()] = displayName(y)
	}
	for _, m := range overdue.GetMilestones() {
		yp := m.GetName()[:len("youngPeople/")+36]
		p.Overdue = append(p.Overdue, overdueRow{M: m, YoungPerson: lastSegment(yp), Name: names[yp]})
	}
	p.More = overdue.GetNextPageToken() != ""
	return view{template: "caseload", title: "My caseload", data: p}, nil
}
