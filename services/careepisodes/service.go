// Package careepisodes implements carepath.v1.CareEpisodesService: young people's episodes
// of care and the care-leaver status they give. Every change to episodes replans the
// young person's pathway in the same transaction.
package careepisodes

import (
	"context"
	"time"

	"github.com/google/uuid"
	"go.einride.tech/aip/fieldmask"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/carestatus"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/idem"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements CareEpisodesService.
type Server struct {
	pb.UnimplementedCareEpisodesServiceServer
	store   store.Store
	planner *planner.Planner
	now     func() time.Time
}

// New returns the service.
func New(s store.Store, p *planner.Planner, now func() time.Time) *Server {
	return &Server{store: s, planner: p, now: now}
}

func episodeName(e domain.CareEpisode) string {
	return "youngPeople/" + e.YoungPersonID + "/careEpisodes/" + e.ID
}

func toProto(e domain.CareEpisode) *pb.CareEpisode {
	return &pb.CareEpisode{
		Name:          episodeName(e),
		StartDate:     convert.Date(e.Start),
		EndDate:       convert.Date(e.End),
		LegalStatus:   e.LegalStatus,
		PlacementType: e.PlacementType,
		ReasonEnded:   e.ReasonEnded,
		CreateTime:    timestamppb.New(e.CreateTime),
		UpdateTime:    timestamppb.New(e.UpdateTime),
		Etag:          convert.Etag(e.Revision),
	}
}

func fromProto(in *pb.CareEpisode) domain.CareEpisode {
	return domain.CareEpisode{
		Start:         convert.FromDate(in.GetStartDate()),
		End:           convert.FromDate(in.GetEndDate()),
		LegalStatus:   in.GetLegalStatus(),
		PlacementType: in.GetPlacementType(),
		ReasonEnded:   in.GetReasonEnded(),
	}
}

func (s *Server) GetCareEpisode(ctx context.Context, req *pb.GetCareEpisodeRequest) (*pb.CareEpisode, error) {
	ids, err := convert.Parse("name", req.GetName(), "youngPeople", "careEpisodes")
	if err != nil {
		return nil, err
	}
	var e domain.CareEpisode
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		yp, err := access.YoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if e, err = tx.GetCareEpisode(ctx, ids[0], ids[1]); err != nil {
			return err
		}
		return access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	return toProto(e), nil
}

// ListCareEpisodes pages through a young person's episodes, which are few: they are read
// whole (planning needs them whole anyway) and the page token holds the position.
func (s *Server) ListCareEpisodes(ctx context.Context, req *pb.ListCareEpisodesRequest) (*pb.ListCareEpisodesResponse, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "youngPeople")
	if err != nil {
		return nil, err
	}
	after, err := listing.AfterID(req.GetPageToken(), req.GetParent())
	if err != nil {
		return nil, err
	}
	var all []domain.CareEpisode
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		yp, err := access.YoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if all, err = tx.ListCareEpisodes(ctx, ids[0]); err != nil {
			return err
		}
		return access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	page, next := listing.PageOf(all, after, listing.PageSize(req.GetPageSize()),
		func(e domain.CareEpisode) string { return e.ID }, req.GetParent())
	resp := &pb.ListCareEpisodesResponse{NextPageToken: next}
	for _, e := range page {
		resp.CareEpisodes = append(resp.CareEpisodes, toProto(e))
	}
	return resp, nil
}

const createScope = "carepath.v1.CareEpisodesService/CreateCareEpisode"

func (s *Server) CreateCareEpisode(ctx context.Context, req *pb.CreateCareEpisodeRequest) (*pb.CareEpisode, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "youngPeople")
	if err != nil {
		return nil, err
	}
	now := s.now()
	e := fromProto(req.GetCareEpisode())
	e.ID, e.YoungPersonID, e.CreateTime, e.UpdateTime = uuid.Must(uuid.NewV7()).String(), ids[0], now, now
	hash := requestHash(req)
	var out domain.CareEpisode
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		yp, err := access.LockYoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, now, access.DirectCare, yp.CouncilID, yp.ID); err != nil {
			return err
		}
		prior, err := idem.Claim(ctx, tx, createScope, req.GetRequestId(), hash, e.ID, now)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = tx.GetCareEpisode(ctx, ids[0], prior)
			return err
		}
		if err := s.check(ctx, tx, yp, e, now); err != nil {
			return err
		}
		if out, err = tx.CreateCareEpisode(ctx, e); err != nil {
			return err
		}
		return s.planner.Replan(ctx, tx, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	return toProto(out), nil
}

func requestHash(req *pb.CreateCareEpisodeRequest) []byte {
	c := proto.CloneOf(req)
	c.RequestId = ""
	c.CareEpisode.Name, c.CareEpisode.CreateTime, c.CareEpisode.UpdateTime, c.CareEpisode.Etag = "", nil, nil, ""
	return idem.Hash(c)
}

// check validates an episode and that it overlaps none of the young person's others (the
// young person is locked, so no concurrent change can slip in between).
func (s *Server) check(ctx context.Context, tx store.Tx, yp domain.YoungPerson, e domain.CareEpisode, now time.Time) error {
	if err := e.Validate(yp.DateOfBirth, civil.Today(now)); err != nil {
		return errs.Prefixed(err, "care_episode")
	}
	others, err := tx.ListCareEpisodes(ctx, yp.ID)
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID != e.ID && o.Overlaps(e) {
			return errs.New(errs.FailedPrecondition, errs.ReasonEpisodesOverlap,
				"the episode overlaps another care episode of this young person").With("episode", episodeName(o))
		}
	}
	return nil
}

func (s *Server) UpdateCareEpisode(ctx context.Context, req *pb.UpdateCareEpisodeRequest) (*pb.CareEpisode, error) {
	in := req.GetCareEpisode()
	ids, err := convert.Parse("care_episode.name", in.GetName(), "youngPeople", "careEpisodes")
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out domain.CareEpisode
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		yp, err := access.LockYoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, now, access.DirectCare, yp.CouncilID, yp.ID); err != nil {
			return err
		}
		cur, err := tx.GetCareEpisode(ctx, ids[0], ids[1])
		if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		merged := toProto(cur)
		mask, err := listing.Changes("care_episode", req.GetUpdateMask(), in, merged)
		if err != nil {
			return err
		}
		fieldmask.Update(mask, merged, in)
		next := fromProto(merged)
		next.ID, next.YoungPersonID, next.UpdateTime = cur.ID, cur.YoungPersonID, now
		next.SSDA903 = cur.SSDA903 // the return's own columns are not in the API
		if err := s.check(ctx, tx, yp, next, now); err != nil {
			return err
		}
		if out, err = tx.UpdateCareEpisode(ctx, next, cur.Revision); err != nil {
			return err
		}
		return s.planner.Replan(ctx, tx, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	return toProto(out), nil
}

func (s *Server) DeleteCareEpisode(ctx context.Context, req *pb.DeleteCareEpisodeRequest) (*emptypb.Empty, error) {
	ids, err := convert.Parse("name", req.GetName(), "youngPeople", "careEpisodes")
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(req.GetEtag())
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		yp, err := access.LockYoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID); err != nil {
			return err
		}
		if err := tx.DeleteCareEpisode(ctx, ids[0], ids[1], ifRevision); err != nil {
			return err
		}
		return s.planner.Replan(ctx, tx, ids[0])
	})
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (s *Server) GetCareLeaverStatus(ctx context.Context, req *pb.GetCareLeaverStatusRequest) (*pb.CareLeaverStatus, error) {
	ids, err := convert.ParseSingleton("name", req.GetName(), "careLeaverStatus", "youngPeople")
	if err != nil {
		return nil, err
	}
	asOf, err := convert.AsOf("as_of", req.GetAsOf(), civil.Today(s.now()))
	if err != nil {
		return nil, err
	}
	var (
		yp       domain.YoungPerson
		episodes []domain.CareEpisode
		rule     civil.LeaplingRule
	)
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		if yp, err = access.YoungPerson(ctx, tx, ids[0]); err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID); err != nil {
			return err
		}
		if rule, err = tx.LeaplingRule(ctx, yp.CouncilID); err != nil {
			return err
		}
		episodes, err = tx.ListCareEpisodes(ctx, ids[0])
		return err
	})
	if err != nil {
		return nil, err
	}
	st := carestatus.Derive(yp.DateOfBirth, domain.StatusEpisodes(episodes), asOf, rule, yp.StatusCircumstances())
	return &pb.CareLeaverStatus{
		Name:                        req.GetName(),
		AsOf:                        convert.Date(asOf),
		Category:                    convert.Category(st.Category),
		Rule:                        st.Rule,
		Explanation:                 st.Explanation,
		FromDate:                    convert.Date(st.From),
		ToDate:                      convert.Date(st.To),
		DaysLookedAfterSince_14:     int32(st.DaysSince14),
		DaysLookedAfterSince_16:     int32(st.DaysSince16),
		LookedAfter:                 st.LookedAfter,
		StayingPut:                  st.StayingPut,
		PersonalAdviserOnRequest:    st.AdviserOnRequest,
		EducationOrTrainingAfter_21: st.EducationAfter21,
		VacationAccommodation:       st.VacationAccommodation,
		Age:                         convert.Age(yp.DateOfBirth, asOf, rule),
		KeyDates:                    convert.KeyDates(yp.DateOfBirth, rule),
	}, nil
}
