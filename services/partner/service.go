// Package partner implements carepath.v1.PartnerService: what a partner organisation sees
// of the young people shared with it, how ready they are for a home or for work, and the
// facts the partner verifies. Its messages have no field of health, care history or
// immigration status, so none can leak.
package partner

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/readiness"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements PartnerService.
type Server struct {
	pb.UnimplementedPartnerServiceServer
	store   store.Store
	planner *planner.Planner
	now     func() time.Time
}

// New returns the service.
func New(s store.Store, p *planner.Planner, now func() time.Time) *Server {
	return &Server{store: s, planner: p, now: now}
}

var errDenied = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"this young person is not shared with your organisation for this purpose, or there is no such young person")

// purpose checks the caller asks as their own organisation, and returns the purpose asked
// about: the one that goes with the organisation's type unless another is named.
func purpose(ctx context.Context, org string, asked pb.SharingAgreement_Purpose) (domain.Purpose, error) {
	caller := access.Caller(ctx)
	if org != caller.Organisation {
		return "", errs.New(errs.PermissionDenied, errs.ReasonAccessDenied, "partners see the young people shared with their own organisation only")
	}
	if asked != pb.SharingAgreement_PURPOSE_UNSPECIFIED {
		return domain.Purpose(asked.String()), nil
	}
	return domain.PurposeOf(domain.OrganisationType(caller.OrganisationType)), nil
}

// bornAfter is the earliest date of birth of someone under 25 on day, with a day to spare
// either way of the leap-day rules: the exact test is done per young person.
func bornAfter(day civil.Date) civil.Date {
	return day.Sub(civil.Period{Years: 25, Days: 1}, civil.FebruaryTwentyEighth)
}

func under25(yp domain.YoungPerson, day civil.Date, rule civil.LeaplingRule) bool {
	return day.Before(civil.Attains(yp.DateOfBirth, civil.Period{Years: 25}, rule))
}

func (s *Server) view(ctx context.Context, tx store.Tx, rules *store.LeaplingRules, org string, yp domain.YoungPerson, p domain.Purpose,
	day civil.Date) (*pb.SharedYoungPerson, bool, error) {
	rule, err := rules.Of(ctx, yp.CouncilID)
	if err != nil || !under25(yp, day, rule) {
		return nil, false, err
	}
	shares, err := tx.ListShares(ctx, yp.ID)
	if err != nil {
		return nil, false, err
	}
	out := &pb.SharedYoungPerson{
		Name:               "organisations/" + org + "/sharedYoungPeople/" + yp.ID,
		YoungPerson:        "youngPeople/" + yp.ID,
		GivenName:          yp.GivenName,
		FamilyName:         yp.FamilyName,
		PreferredName:      yp.PreferredName,
		Council:            "organisations/" + yp.CouncilID,
		EighteenthBirthday: convert.Date(civil.Attains(yp.DateOfBirth, civil.Period{Years: 18}, rule)),
	}
	years, _ := civil.AgeOn(yp.DateOfBirth, day, rule)
	out.AgeYears = int32(years)
	var expiry civil.Date // the latest of the shares for the purpose; zero if none
	for _, sh := range shares {
		if sh.PartnerID != org || !sh.InForce(day) {
			continue
		}
		out.Purposes = append(out.Purposes, pb.SharingAgreement_Purpose(pb.SharingAgreement_Purpose_value[string(sh.Purpose)]))
		if sh.Purpose == p && sh.Expiry.After(expiry) {
			expiry = sh.Expiry
		}
	}
	if expiry.IsZero() {
		return out, false, nil
	}
	out.ShareExpiryDate = convert.Date(expiry)
	return out, true, nil
}

// shared returns the young person with a view of them if they are shared with the partner
// for the purpose on day (share and agreement in force, under 25), else errDenied: one
// query decides, the same as the list's.
func (s *Server) shared(ctx context.Context, tx store.Tx, org, id string, p domain.Purpose, day civil.Date) (domain.YoungPerson, *pb.SharedYoungPerson, error) {
	page, err := tx.ListSharedYoungPeople(ctx, store.SharedQuery{PartnerID: org, Purpose: p, Day: day,
		BornAfter: bornAfter(day), YoungPersonID: id, Limit: 1})
	if err != nil {
		return domain.YoungPerson{}, nil, err
	}
	if len(page) == 0 {
		return domain.YoungPerson{}, nil, errDenied
	}
	view, ok, err := s.view(ctx, tx, store.NewLeaplingRules(tx), org, page[0], p, day)
	if err == nil && !ok {
		err = errDenied
	}
	return page[0], view, err
}

// readinessOf assesses the young people's readiness for the purpose on day, by id.
func (s *Server) readinessOf(ctx context.Context, tx store.Tx, p domain.Purpose, day civil.Date, ids ...string) (map[string]readiness.PartnerReadiness, error) {
	inputs, err := s.planner.Inputs(ctx, tx, day, ids...)
	if err != nil {
		return nil, err
	}
	assess := readiness.Housing
	if p == domain.PurposeEmployment {
		assess = readiness.Employment
	}
	out := make(map[string]readiness.PartnerReadiness, len(inputs))
	for _, in := range inputs {
		out[in.YoungPerson.ID] = assess(in)
	}
	return out, nil
}

func withReadiness(v *pb.SharedYoungPerson, r readiness.PartnerReadiness) *pb.SharedYoungPerson {
	v.ReadinessRating, v.PlannedMoveDate = convert.Rating(r.Rating), convert.Date(r.PlannedMoveDate)
	return v
}

func (s *Server) GetSharedYoungPerson(ctx context.Context, req *pb.GetSharedYoungPersonRequest) (*pb.SharedYoungPerson, error) {
	ids, err := convert.Parse("name", req.GetName(), "organisations", "sharedYoungPeople")
	if err != nil {
		return nil, err
	}
	p, err := purpose(ctx, ids[0], req.GetPurpose())
	if err != nil {
		return nil, err
	}
	now := s.now()
	day := civil.Today(now)
	var out *pb.SharedYoungPerson
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		yp, view, err := s.shared(ctx, tx, ids[0], ids[1], p, day)
		if err != nil {
			return err
		}
		r, err := s.readinessOf(ctx, tx, p, day, yp.ID)
		if err != nil {
			return err
		}
		out = withReadiness(view, r[yp.ID])
		return access.Audit(ctx, tx, now, string(p), yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) GetHousingReadiness(ctx context.Context, req *pb.GetHousingReadinessRequest) (*pb.Readiness, error) {
	return s.readiness(ctx, req.GetName(), "housingReadiness", domain.PurposeHousing)
}

func (s *Server) GetEmploymentReadiness(ctx context.Context, req *pb.GetEmploymentReadinessRequest) (*pb.Readiness, error) {
	return s.readiness(ctx, req.GetName(), "employmentReadiness", domain.PurposeEmployment)
}

// readiness answers for a young person shared with the caller's organisation for p.
func (s *Server) readiness(ctx context.Context, name, singleton string, p domain.Purpose) (*pb.Readiness, error) {
	ids, err := convert.ParseSingleton("name", name, singleton, "organisations", "sharedYoungPeople")
	if err != nil {
		return nil, err
	}
	if _, err := purpose(ctx, ids[0], pb.SharingAgreement_PURPOSE_UNSPECIFIED); err != nil {
		return nil, err
	}
	now := s.now()
	day := civil.Today(now)
	var out *pb.Readiness
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		yp, _, err := s.shared(ctx, tx, ids[0], ids[1], p, day)
		if err != nil {
			return err
		}
		r, err := s.readinessOf(ctx, tx, p, day, yp.ID)
		if err != nil {
			return err
		}
		out = convert.Readiness(name, r[yp.ID])
		return access.Audit(ctx, tx, now, string(p), yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var errFactKind = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"your organisation may not record this kind of fact: partners record the facts of their own purpose")

func (s *Server) RecordSharedFact(ctx context.Context, req *pb.RecordSharedFactRequest) (*pb.SharedFact, error) {
	ids, err := convert.Parse("name", req.GetName(), "organisations", "sharedYoungPeople", "facts")
	if err != nil {
		return nil, err
	}
	p, err := purpose(ctx, ids[0], pb.SharingAgreement_PURPOSE_UNSPECIFIED)
	if err != nil {
		return nil, err
	}
	now := s.now()
	f := convert.NewFact(ctx, ids[1], ids[2], req.GetValue(), req.GetEffectiveDate(), req.GetEvidenceType(), now)
	if err := readiness.ValidateFact(f, civil.Today(now)); err != nil {
		return nil, err
	}
	kind, _ := readiness.LookupFact(f.Key)
	if !kind.VisibleTo(p) {
		return nil, errFactKind
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		// Locked first, as the council's withdrawal of a share locks them: a share that is
		// being withdrawn is either seen withdrawn here or withdrawn after the fact is in.
		if _, err := tx.LockYoungPerson(ctx, ids[1]); err == store.ErrYoungPersonNotFound {
			return errDenied
		} else if err != nil {
			return err
		}
		yp, _, err := s.shared(ctx, tx, ids[0], ids[1], p, civil.Today(now))
		if err != nil {
			return err
		}
		if f, err = tx.AddFact(ctx, f); err != nil {
			return err
		}
		if err := s.planner.Reassess(ctx, tx, yp.ID); err != nil {
			return err
		}
		return access.Audit(ctx, tx, now, string(p), yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	return &pb.SharedFact{Name: req.GetName(), Title: kind.Title, Value: f.Value, EffectiveDate: convert.Date(f.EffectiveDate),
		EvidenceType: convert.EvidenceType(f.EvidenceType), Organisation: "organisations/" + f.OrganisationID}, nil
}

// listFilter is what a list keeps beyond the share: the 18th birthday, the planned move and
// the readiness rating.
type listFilter struct {
	from, to, movingBy civil.Date
	ratings            []domain.Rating
}

func (f listFilter) keeps(r readiness.PartnerReadiness) bool {
	switch {
	case !f.from.IsZero() && r.EighteenthBirthday.Before(f.from), !f.to.IsZero() && r.EighteenthBirthday.After(f.to):
		return false
	case !f.movingBy.IsZero() && (r.PlannedMoveDate.IsZero() || r.PlannedMoveDate.After(f.movingBy)):
		return false
	}
	return len(f.ratings) == 0 || slices.Contains(f.ratings, r.Rating)
}

// scanBatch is how many shared young people a list examines per query while filling a page.
const scanBatch = 100

func (s *Server) ListSharedYoungPeople(ctx context.Context, req *pb.ListSharedYoungPeopleRequest) (*pb.ListSharedYoungPeopleResponse, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "organisations")
	if err != nil {
		return nil, err
	}
	p, err := purpose(ctx, ids[0], req.GetPurpose())
	if err != nil {
		return nil, err
	}
	filter := listFilter{from: convert.FromDate(req.GetTurning_18From()), to: convert.FromDate(req.GetTurning_18To()),
		movingBy: convert.FromDate(req.GetMovingBy())}
	for _, r := range req.GetRatings() {
		filter.ratings = append(filter.ratings, convert.FromRating(r))
	}
	fingerprint := []string{req.GetParent(), string(p), filter.from.String(), filter.to.String(), filter.movingBy.String(),
		fmt.Sprint(filter.ratings)}
	after, err := listing.AfterID(req.GetPageToken(), fingerprint...)
	if err != nil {
		return nil, err
	}
	now := s.now()
	day := civil.Today(now)
	born := bornAfter(day)
	if !filter.from.IsZero() {
		// Born after the 18th-birthday bound less 18 years, with a day to spare for leap days.
		if b := filter.from.Sub(civil.Period{Years: 18, Days: 1}, civil.FebruaryTwentyEighth); b.After(born) {
			born = b
		}
	}
	size := listing.PageSize(req.GetPageSize())
	type kept struct {
		yp   domain.YoungPerson
		view *pb.SharedYoungPerson
	}
	var page []kept
	resp := &pb.ListSharedYoungPeopleResponse{}
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		rules := store.NewLeaplingRules(tx)
		// Filters other than the share are applied here, so a page is filled by examining
		// batches until it is full or the shared young people run out.
		for cursor := after; len(page) <= size; {
			batch, err := tx.ListSharedYoungPeople(ctx, store.SharedQuery{PartnerID: ids[0], Purpose: p, Day: day,
				BornAfter: born, AfterID: cursor, Limit: scanBatch})
			if err != nil || len(batch) == 0 {
				return err
			}
			batchIDs := make([]string, len(batch))
			for i, yp := range batch {
				batchIDs[i] = yp.ID
			}
			ready, err := s.readinessOf(ctx, tx, p, day, batchIDs...)
			if err != nil {
				return err
			}
			for _, yp := range batch {
				view, ok, err := s.view(ctx, tx, rules, ids[0], yp, p, day)
				if err != nil {
					return err
				}
				if ok && filter.keeps(ready[yp.ID]) {
					page = append(page, kept{yp, withReadiness(view, ready[yp.ID])})
					if len(page) > size {
						break
					}
				}
			}
			if len(batch) < scanBatch {
				break
			}
			cursor = batch[len(batch)-1].ID
		}
		page, resp.NextPageToken = listing.Next(page, size, func(k kept) string { return k.yp.ID }, fingerprint...)
		councils := map[string][]string{}
		for _, k := range page {
			resp.SharedYoungPeople = append(resp.SharedYoungPeople, k.view)
			councils[k.yp.CouncilID] = append(councils[k.yp.CouncilID], k.yp.ID)
		}
		for council, ids := range councils {
			if err := access.Audit(ctx, tx, now, string(p), council, ids...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
