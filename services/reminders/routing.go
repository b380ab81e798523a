package reminders

import (
	"context"
	"fmt"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/reminder"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
)

// pageSize is how many people or young people are read at a time.
const pageSize = 500

// ListReminderRoutingGaps shows a council's administrator where reminders fall back
// (reminder.RoutingGaps): the people of the council, and how many young people each
// personal adviser has, counted in one pass over the council's young people (the counts
// name no one, as the partnership board's do).
func (s *Server) ListReminderRoutingGaps(ctx context.Context, req *pb.ListReminderRoutingGapsRequest) (*pb.ListReminderRoutingGapsResponse, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "organisations")
	if err != nil {
		return nil, err
	}
	org := ids[0]
	if org != access.Caller(ctx).Organisation { // a council's administrator, of their own council
		return nil, errs.New(errs.PermissionDenied, errs.ReasonAccessDenied, "you may see your own council's routing gaps only")
	}
	var gaps []reminder.Gap
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		people, err := councilPeople(ctx, tx, org)
		if err != nil {
			return err
		}
		caseloads, err := caseloads(ctx, tx, org)
		if err != nil {
			return err
		}
		gaps = reminder.RoutingGaps(people, caseloads)
		// Counts of young people per adviser name none but are read from their data.
		return access.AuditSummary(ctx, tx, s.now(), access.Reporting, org)
	})
	if err != nil {
		return nil, err
	}
	resp := &pb.ListReminderRoutingGapsResponse{}
	for _, g := range gaps {
		out := &pb.ReminderRoutingGap{Team: g.Team, YoungPeople: int32(g.YoungPeople)}
		for _, id := range g.Advisers {
			out.PersonalAdvisers = append(out.PersonalAdvisers, "people/"+id)
		}
		switch g.Kind {
		case reminder.TeamWithoutManager:
			out.Kind = pb.ReminderRoutingGap_TEAM_WITHOUT_MANAGER
			out.Description = fmt.Sprintf("team %s has no enabled team manager", g.Team)
		case reminder.AdviserWithoutTeam:
			out.Kind = pb.ReminderRoutingGap_ADVISER_WITHOUT_TEAM
			out.Description = fmt.Sprintf("personal adviser %s is in no team", g.Advisers[0])
		}
		resp.Gaps = append(resp.Gaps, out)
	}
	return resp, nil
}

func councilPeople(ctx context.Context, tx store.Tx, org string) ([]domain.Person, error) {
	var out []domain.Person
	q := store.PeopleQuery{OrganisationIDs: []string{org}, Limit: pageSize}
	for {
		page, err := tx.ListPeople(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < q.Limit {
			return out, nil
		}
		q.AfterID = page[len(page)-1].ID
	}
}

// caseloads counts the council's young people by personal adviser.
func caseloads(ctx context.Context, tx store.Tx, org string) (map[string]int, error) {
	out := map[string]int{}
	q := store.YoungPeopleQuery{Limit: pageSize, Scope: &store.Scope{CouncilID: org, WholeCouncil: true}}
	for {
		page, err := tx.ListYoungPeople(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, yp := range page {
			if yp.PersonalAdviserID != "" {
				out[yp.PersonalAdviserID]++
			}
		}
		if len(page) < q.Limit {
			return out, nil
		}
		q.AfterID = page[len(page)-1].ID
	}
}
