package pathways

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
)

// A renderer allocates a list's messages together, past the room it was made with too; each
// milestone must still be its own: what rendering it alone gives, with its own dates and
// times, as convert and timestamppb would make them, and no date where it has none.
func TestARenderersMilestonesAreEachTheirOwn(t *testing.T) {
	today := civil.New(2026, 12, 4)
	created := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	var ms []domain.Milestone
	for i := range 7 {
		m := domain.Milestone{ID: fmt.Sprint("m", i), YoungPersonID: "yp", Key: "key", Title: fmt.Sprint("title ", i),
			Area: "EDUCATION", State: domain.MilestoneState("PLANNED"), DueDate: today.AddDays(i - 3),
			CreateTime: created.Add(time.Duration(i) * time.Hour), UpdateTime: created.Add(time.Duration(i) * time.Minute)}
		if i%2 == 0 {
			m.LapseDate, m.ScheduledDate = today.AddDays(30+i), today.AddDays(i)
		}
		if i%3 == 0 {
			m.AchievedDate = today.AddDays(-i)
		}
		if i%2 == 1 {
			m.Key, m.OwnerOrganisation, m.OwnerPerson = fmt.Sprint("key-", i), fmt.Sprint("org-", i), fmt.Sprint("person-", i)
		}
		if i == 6 {
			m.Key = "" // a milestone of no definition
		}
		ms = append(ms, m)
	}
	render := newRenderer(2) // less room than the list needs
	var got []*pb.Milestone
	for _, m := range ms {
		got = append(got, render.milestone(m, today))
	}
	for i, m := range ms {
		if want := toProto(m, today); !proto.Equal(got[i], want) {
			t.Errorf("milestone %d: %v, want %v", i, got[i], want)
		}
		// The names share the renderer's text, which runs out of room on the way.
		wantNames := [4]string{"youngPeople/yp/milestones/" + m.ID, "milestoneDefinitions/" + m.Key, "", ""}
		if m.Key == "" {
			wantNames[1] = ""
		}
		if i%2 == 1 {
			wantNames[2], wantNames[3] = "organisations/"+m.OwnerOrganisation, "people/"+m.OwnerPerson
		}
		if gotNames := [4]string{got[i].GetName(), got[i].GetDefinition(), got[i].GetOwnerOrganisation(), got[i].GetOwnerPerson()}; gotNames != wantNames {
			t.Errorf("milestone %d: names %q, want %q", i, gotNames, wantNames)
		}
		dates := []struct {
			got  *date.Date
			want civil.Date
		}{
			{got[i].GetDueDate(), m.DueDate}, {got[i].GetLapseDate(), m.LapseDate},
			{got[i].GetScheduledDate(), m.ScheduledDate}, {got[i].GetAchievedDate(), m.AchievedDate},
		}
		for _, d := range dates {
			if want := convert.Date(d.want); !proto.Equal(d.got, want) || (d.got == nil) != (want == nil) {
				t.Errorf("milestone %d: a date %v, want %v", i, d.got, want)
			}
		}
		if !proto.Equal(got[i].GetCreateTime(), timestamppb.New(m.CreateTime)) ||
			!proto.Equal(got[i].GetUpdateTime(), timestamppb.New(m.UpdateTime)) {
			t.Errorf("milestone %d: created %v, updated %v; want %v, %v", i, got[i].GetCreateTime().AsTime(),
				got[i].GetUpdateTime().AsTime(), m.CreateTime, m.UpdateTime)
		}
	}
	got[0].DueDate.Year, got[0].CreateTime.Seconds = 1900, 0
	if got[1].GetDueDate().GetYear() == 1900 || got[1].GetCreateTime().GetSeconds() == 0 {
		t.Error("a renderer's milestones share their dates or times")
	}
}
