// Package partner implements carepath.v1.PartnerService: what a partner organisation sees
// of the young people shared with it. Its messages have no field of health, care history or
// immigration status, so none can leak.
package partner

import (
	"context"
	"time"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements PartnerService.
type Server struct {
	pb.UnimplementedPartnerServiceServer
	store store.Store
	now   func() time.Time
}

// New returns the service.
func New(s store.Store, now func() time.Time) *Server { return &Server{store: s, now: now} }

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

func (s *Server) view(ctx context.Context, tx store.Tx, org string, yp domain.YoungPerson, p domain.Purpose, day civil.Date) (*pb.SharedYoungPerson, bool, error) {
	settings, err := tx.GetPathwaySettings(ctx, yp.CouncilID)
	if err != nil || !under25(yp, day, settings.LeaplingRule) {
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
		EighteenthBirthday: convert.Date(civil.Attains(yp.DateOfBirth, civil.Period{Years: 18}, settings.LeaplingRule)),
	}
	years, _ := civil.AgeOn(yp.DateOfBirth, day, settings.LeaplingRule)
	out.AgeYears = int32(years)
	found := false
	for _, sh := range shares {
		if sh.PartnerID != org || !sh.InForce(day) {
			continue
		}
		out.Purposes = append(out.Purposes, pb.SharingAgreement_Purpose(pb.SharingAgreement_Purpose_value[string(sh.Purpose)]))
		if sh.Purpose == p {
			found = true
			if e := convert.Date(sh.Expiry); out.ShareExpiryDate == nil || sh.Expiry.After(convert.FromDate(out.ShareExpiryDate)) {
				out.ShareExpiryDate = e
			}
		}
	}
	return out, found, nil
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
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		// One query decides, the same as the list's: share and agreement in force, under 25.
		page, err := tx.ListSharedYoungPeople(ctx, store.SharedQuery{PartnerID: ids[0], Purpose: p, Day: day,
			BornAfter: bornAfter(day), YoungPersonID: ids[1], Limit: 1})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return errDenied
		}
		view, ok, err := s.view(ctx, tx, ids[0], page[0], p, day)
		if err != nil {
			return err
		}
		if !ok {
			return errDenied
		}
		out = view
		return access.Audit(ctx, tx, now, string(p), page[0].CouncilID, page[0].ID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) ListSharedYoungPeople(ctx context.Context, req *pb.ListSharedYoungPeopleRequest) (*pb.ListSharedYoungPeopleResponse, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "organisations")
	if err != nil {
		return nil, err
	}
	p, err := purpose(ctx, ids[0], req.GetPurpose())
	if err != nil {
		return nil, err
	}
	after, err := listing.AfterID(req.GetPageToken(), req.GetParent(), string(p))
	if err != nil {
		return nil, err
	}
	now := s.now()
	day := civil.Today(now)
	size := listing.PageSize(req.GetPageSize())
	resp := &pb.ListSharedYoungPeopleResponse{}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		page, err := tx.ListSharedYoungPeople(ctx, store.SharedQuery{PartnerID: ids[0], Purpose: p, Day: day,
			BornAfter: bornAfter(day), AfterID: after, Limit: size + 1})
		if err != nil {
			return err
		}
		page, resp.NextPageToken = listing.Next(page, size, func(yp domain.YoungPerson) string { return yp.ID }, req.GetParent(), string(p))
		councils := map[string][]string{}
		for _, yp := range page {
			view, ok, err := s.view(ctx, tx, ids[0], yp, p, day)
			if err != nil {
				return err
			}
			if ok {
				resp.SharedYoungPeople = append(resp.SharedYoungPeople, view)
				councils[yp.CouncilID] = append(councils[yp.CouncilID], yp.ID)
			}
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
