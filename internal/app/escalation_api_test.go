package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// Every reminder reaches someone who may act on it (issue 17, item 4): the escalation about
// a young person whose adviser's team has no manager goes where the young person can be
// opened, never to the council's inbox, whose readers (other teams' managers) get 403; and
// the council's administrator sees the gap to fix.
func TestEscalationReachesSomeoneWhoMaySeeTheYoungPerson(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			cfg := b.configure(t)
			cfg.ReminderInterval = 100 * time.Millisecond // the sweep that re-routes after a staff change
			s := start(t, cfg)
			ctx := context.Background()
			admin := s.as(tokenFor(t, "ada-admin"))
			team := fmt.Sprintf("lonely-%d", personSeq.Add(1))
			paID := fmt.Sprintf("test-pa-%d", personSeq.Add(1))
			pa := s.as(s.newPerson(t, paID, "nottinghamshire", team, "PERSONAL_ADVISER"))
			otherManager := s.as(tokenFor(t, "tess-manager")) // team north: reads the council's inbox

			yp := mustREST(t, pa.do(t, "POST", "/v1/youngPeople", youngPersonJSON("ESC-1"))).json(t)["name"].(string)
			// A milestone due eight days ago: escalated yesterday.
			mustREST(t, pa.do(t, "POST", "/v1/"+yp+"/milestones", fmt.Sprintf(`{"title": "Book the review",
				"area": "CONTACT_AND_SUPPORT", "ownerAgencyType": "CHILDRENS_SOCIAL_CARE", "dueDate": %s}`,
				jsonDate(today().AddDays(-8)))))

			escalations := func(inbox *server, path string) int {
				n := 0
				for _, x := range listOf(t, inbox.do(t, "GET", path+"?pageSize=500", ""), "reminders") {
					if x["youngPerson"] == yp && x["rule"] == "milestone.overdue" {
						n++
					}
				}
				return n
			}
			if n := escalations(otherManager, "/v1/organisations/nottinghamshire/reminders"); n != 0 {
				t.Errorf("the council's inbox has %d escalations about a young person its readers may not open", n)
			}
			wantRESTError(t, otherManager.do(t, "GET", "/v1/"+yp, ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
			if n := escalations(pa, "/v1/people/me/reminders"); n != 1 {
				t.Fatalf("the adviser has %d escalations, want 1", n)
			}
			mustREST(t, pa.do(t, "GET", "/v1/"+yp, "")) // the recipient may open the young person

			// The administrator sees the gap, over REST and gRPC.
			gaps := listOf(t, admin.do(t, "GET", "/v1/organisations/nottinghamshire/reminderRoutingGaps", ""), "gaps")
			var gap map[string]any
			for _, g := range gaps {
				if g["team"] == team {
					gap = g
				}
			}
			if gap == nil || gap["kind"] != "TEAM_WITHOUT_MANAGER" || gap["youngPeople"] != float64(1) ||
				fmt.Sprint(gap["personalAdvisers"]) != "[people/"+paID+"]" || gap["description"] != "team "+team+" has no enabled team manager" {
				t.Fatalf("routing gaps %v: want team %s without a manager", gaps, team)
			}
			grpcGaps, err := pb.NewReminderServiceClient(s.dial(t, admin.token)).ListReminderRoutingGaps(ctx,
				&pb.ListReminderRoutingGapsRequest{Parent: "organisations/nottinghamshire"})
			if err != nil || !hasTeamGap(grpcGaps, team) {
				t.Fatalf("gRPC routing gaps: %v %v", grpcGaps, err)
			}
			wantRESTError(t, otherManager.do(t, "GET", "/v1/organisations/nottinghamshire/reminderRoutingGaps", ""),
				403, "PERMISSION_DENIED", "ACCESS_DENIED")
			wantRESTError(t, s.as(tokenFor(t, "dara-admin")).do(t, "GET", "/v1/organisations/nottinghamshire/reminderRoutingGaps", ""),
				403, "PERMISSION_DENIED", "ACCESS_DENIED")

			// Fixed: the team gets a manager. The gap goes, and at the next sweep, with nothing
			// else changed, the escalation goes to the manager, who may open the young person.
			tmID := fmt.Sprintf("test-tm-%d", personSeq.Add(1))
			tm := s.as(s.newPerson(t, tmID, "nottinghamshire", team, "TEAM_MANAGER"))
			grpcGaps, err = pb.NewReminderServiceClient(s.dial(t, admin.token)).ListReminderRoutingGaps(ctx,
				&pb.ListReminderRoutingGapsRequest{Parent: "organisations/nottinghamshire"})
			if err != nil || hasTeamGap(grpcGaps, team) {
				t.Fatalf("the gap is still listed once fixed: %v %v", grpcGaps, err)
			}
			eventually(t, "the escalation re-routed to the new manager", func() bool {
				return escalations(tm, "/v1/people/me/reminders") == 1
			})
			mustREST(t, tm.do(t, "GET", "/v1/"+yp, ""))
			if n := escalations(pa, "/v1/people/me/reminders"); n != 0 {
				t.Errorf("the adviser still has %d escalations once the team has a manager", n)
			}
		})
	}
}

func hasTeamGap(resp *pb.ListReminderRoutingGapsResponse, team string) bool {
	for _, g := range resp.GetGaps() {
		if g.GetTeam() == team && g.GetKind() == pb.ReminderRoutingGap_TEAM_WITHOUT_MANAGER {
			return true
		}
	}
	return false
}
