package voice

import (
	"context"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/carestatus"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/reminder"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
)

// supportTitle is the reminder's title: what it is about, never the young person's words
// (titles travel in webhooks; the message stays in carepath).
const supportTitle = "Asked for a personal adviser's help again (from 21)"

func (s *Server) RequestAdviserSupport(ctx context.Context, req *pb.RequestAdviserSupportRequest) (*pb.AdviserSupportRequest, error) {
	ids, err := convert.Parse("name", req.GetName(), "youngPeople")
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out domain.AdviserSupportRequest
	err = s.write(ctx, ids[0], func(tx store.Tx, yp domain.YoungPerson) error {
		if err := s.entitled(ctx, tx, yp, civil.Today(now)); err != nil {
			return err
		}
		to, err := s.planner.RaiseRequest(ctx, tx, yp, reminder.RuleAdviserSupport, supportTitle)
		if err != nil {
			return err
		}
		out, err = tx.AddAdviserSupportRequest(ctx, domain.AdviserSupportRequest{ID: uuid.Must(uuid.NewV7()).String(), YoungPersonID: yp.ID,
			CouncilID: yp.CouncilID, Message: req.GetMessage(), Requester: author(ctx), Recipients: to, CreateTime: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	res := &pb.AdviserSupportRequest{Name: ypPrefix + out.YoungPersonID + "/adviserSupportRequests/" + out.ID, Message: out.Message,
		Requester: convert.ActorName(out.Requester), CreateTime: timestamppb.New(out.CreateTime)}
	for _, r := range out.Recipients {
		res.Recipients = append(res.Recipients, string(r))
	}
	return res, nil
}

// entitled refuses a young person who is not, today, a former relevant child aged 21 to 24:
// the care-leaver status GetCareLeaverStatus derives decides.
func (s *Server) entitled(ctx context.Context, tx store.Tx, yp domain.YoungPerson, today civil.Date) error {
	rule, err := tx.LeaplingRule(ctx, yp.CouncilID)
	if err != nil {
		return err
	}
	episodes, err := tx.ListCareEpisodes(ctx, yp.ID)
	if err != nil {
		return err
	}
	st := carestatus.Derive(yp.DateOfBirth, domain.StatusEpisodes(episodes), today, rule, yp.StatusCircumstances())
	if st.Category == carestatus.FormerRelevant && st.AdviserOnRequest {
		return nil
	}
	return errs.New(errs.FailedPrecondition, errs.ReasonNotEntitledToAdviser,
		"a personal adviser's help on request is for young people who were in care as relevant or eligible children, from 21 until 25; "+
			"younger care leavers already have a personal adviser").With("category", convert.Category(st.Category).String())
}
