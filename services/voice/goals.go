package voice

import (
	"context"

	"github.com/google/uuid"
	"go.einride.tech/aip/fieldmask"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/idem"
	"github.com/carepath/carepath/services/internal/listing"
)

func goalToProto(g domain.Goal) *pb.Goal {
	return &pb.Goal{Name: ypPrefix + g.YoungPersonID + "/goals/" + g.ID, Title: g.Title, Area: areaToProto(g.Area),
		TargetDate: convert.Date(g.TargetDate), Done: g.Done, Author: convert.ActorName(g.Author), CreateTime: timestamp(g.CreateTime),
		UpdateTime: timestamp(g.UpdateTime), Etag: convert.Etag(g.Revision)}
}

// fromGoal reads the writable fields of a goal onto g.
func fromGoal(in *pb.Goal, g domain.Goal) domain.Goal {
	g.Title, g.Area, g.TargetDate, g.Done = in.GetTitle(), areaFromProto(in.GetArea()), convert.FromDate(in.GetTargetDate()), in.GetDone()
	return g
}

// checkGoal refuses a goal with no title, or a target date that is not a real date or (when
// it is being set) is in the past.
func checkGoal(g domain.Goal, dateSet bool, today civil.Date) error {
	var v errs.Violations
	if g.Title == "" {
		v.Add("goal.title", "is required")
	}
	switch {
	case g.TargetDate.IsZero():
	case !g.TargetDate.Valid():
		v.Add("goal.target_date", "is not a real calendar date")
	case dateSet && g.TargetDate.Before(today):
		v.Add("goal.target_date", "must not be in the past")
	}
	return v.Err()
}

func (s *Server) CreateGoal(ctx context.Context, req *pb.CreateGoalRequest) (*pb.Goal, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "youngPeople")
	if err != nil {
		return nil, err
	}
	now := s.now()
	g := fromGoal(req.GetGoal(), domain.Goal{ID: uuid.Must(uuid.NewV7()).String(), YoungPersonID: ids[0], Author: author(ctx),
		CreateTime: now, UpdateTime: now})
	if err := checkGoal(g, true, civil.Today(now)); err != nil {
		return nil, err
	}
	hash := idem.Hash(&pb.CreateGoalRequest{Parent: req.GetParent(), Goal: req.GetGoal()})
	var out domain.Goal
	err = s.write(ctx, ids[0], func(tx store.Tx, yp domain.YoungPerson) error {
		prior, err := idem.Claim(ctx, tx, "carepath.v1.VoiceService/CreateGoal/"+yp.ID, req.GetRequestId(), hash, g.ID, now)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = tx.GetGoal(ctx, yp.ID, prior)
			return err
		}
		out, err = tx.CreateGoal(ctx, g)
		return err
	})
	if err != nil {
		return nil, err
	}
	return goalToProto(out), nil
}

func (s *Server) ListGoals(ctx context.Context, req *pb.ListGoalsRequest) (*pb.ListGoalsResponse, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "youngPeople")
	if err != nil {
		return nil, err
	}
	after, err := listing.AfterID(req.GetPageToken(), req.GetParent())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var goals []domain.Goal
	err = s.read(ctx, ids[0], func(tx store.Tx, yp domain.YoungPerson) (err error) {
		goals, err = tx.ListGoals(ctx, yp.ID, after, size+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next := listing.Next(goals, size, func(g domain.Goal) string { return g.ID }, req.GetParent())
	out := &pb.ListGoalsResponse{NextPageToken: next}
	for _, g := range page {
		out.Goals = append(out.Goals, goalToProto(g))
	}
	return out, nil
}

func (s *Server) UpdateGoal(ctx context.Context, req *pb.UpdateGoalRequest) (*pb.Goal, error) {
	in := req.GetGoal()
	ids, err := convert.Parse("goal.name", in.GetName(), "youngPeople", "goals")
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	var out domain.Goal
	err = s.write(ctx, ids[0], func(tx store.Tx, yp domain.YoungPerson) error {
		cur, err := tx.GetGoal(ctx, yp.ID, ids[1])
		if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		merged := goalToProto(cur)
		mask, err := listing.Changes("goal", req.GetUpdateMask(), in, merged)
		if err != nil {
			return err
		}
		fieldmask.Update(mask, merged, in)
		next := fromGoal(merged, cur)
		next.UpdateTime = s.now()
		if err := checkGoal(next, next.TargetDate != cur.TargetDate, civil.Today(next.UpdateTime)); err != nil {
			return err
		}
		out, err = tx.UpdateGoal(ctx, next, cur.Revision)
		return err
	})
	if err != nil {
		return nil, err
	}
	return goalToProto(out), nil
}

func (s *Server) DeleteGoal(ctx context.Context, req *pb.DeleteGoalRequest) (*emptypb.Empty, error) {
	ids, err := convert.Parse("name", req.GetName(), "youngPeople", "goals")
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(req.GetEtag())
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, ids[0], func(tx store.Tx, yp domain.YoungPerson) error {
		return tx.DeleteGoal(ctx, yp.ID, ids[1], ifRevision)
	})
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
