// Package sharing implements carepath.v1.SharingService: councils' information-sharing
// agreements with partners, and the sharing of individual young people with a partner.
package sharing

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.einride.tech/aip/fieldmask"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/idem"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements SharingService.
type Server struct {
	pb.UnimplementedSharingServiceServer
	store   store.Store
	planner *planner.Planner
	now     func() time.Time
}

// New returns the service; the planner raises and cancels reminders as sharing changes.
func New(s store.Store, p *planner.Planner, now func() time.Time) *Server {
	return &Server{store: s, planner: p, now: now}
}

const orgPrefix = "organisations/"

// maxShare is how long one share may run before it must be renewed.
const maxShare = 2

func agreementToProto(a domain.SharingAgreement) *pb.SharingAgreement {
	return &pb.SharingAgreement{
		Name: "sharingAgreements/" + a.ID, Council: orgPrefix + a.CouncilID, Partner: orgPrefix + a.PartnerID,
		Purpose:   pb.SharingAgreement_Purpose(pb.SharingAgreement_Purpose_value[string(a.Purpose)]),
		StartDate: convert.Date(a.Start), EndDate: convert.Date(a.End), Reference: a.Reference,
		CreateTime: timestamppb.New(a.CreateTime), UpdateTime: timestamppb.New(a.UpdateTime), Etag: convert.Etag(a.Revision),
	}
}

func shareToProto(s domain.Share, today civil.Date) *pb.Share {
	out := &pb.Share{
		Name:      "youngPeople/" + s.YoungPersonID + "/shares/" + s.ID,
		Partner:   orgPrefix + s.PartnerID,
		Purpose:   pb.SharingAgreement_Purpose(pb.SharingAgreement_Purpose_value[string(s.Purpose)]),
		Basis:     pb.Share_Basis(pb.Share_Basis_value[string(s.Basis)]),
		StartDate: convert.Date(s.Start), ExpiryDate: convert.Date(s.Expiry), WithdrawReason: s.WithdrawReason,
		RecordedBy: s.RecordedBy, Active: s.InForce(today), CreateTime: timestamppb.New(s.CreateTime),
		Etag: convert.Etag(s.Revision),
	}
	if !s.WithdrawTime.IsZero() {
		out.WithdrawTime = timestamppb.New(s.WithdrawTime)
	}
	return out
}

var errAgreementDenied = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"you may see the sharing agreements of your own council only, or there is no such agreement")

func (s *Server) GetSharingAgreement(ctx context.Context, req *pb.GetSharingAgreementRequest) (*pb.SharingAgreement, error) {
	ids, err := convert.Parse("name", req.GetName(), "sharingAgreements")
	if err != nil {
		return nil, err
	}
	var a domain.SharingAgreement
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		a, err = tx.GetSharingAgreement(ctx, ids[0])
		if err == store.ErrSharingAgreementNotFound || err == nil && a.CouncilID != access.Caller(ctx).Organisation {
			return errAgreementDenied
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return agreementToProto(a), nil
}

func (s *Server) ListSharingAgreements(ctx context.Context, req *pb.ListSharingAgreementsRequest) (*pb.ListSharingAgreementsResponse, error) {
	after, err := listing.AfterID(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var page []domain.SharingAgreement
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		page, err = tx.ListSharingAgreements(ctx, access.Caller(ctx).Organisation, after, size+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	resp := &pb.ListSharingAgreementsResponse{}
	page, resp.NextPageToken = listing.Next(page, size, func(a domain.SharingAgreement) string { return a.ID })
	for _, a := range page {
		resp.SharingAgreements = append(resp.SharingAgreements, agreementToProto(a))
	}
	return resp, nil
}

func (s *Server) CreateSharingAgreement(ctx context.Context, req *pb.CreateSharingAgreementRequest) (*pb.SharingAgreement, error) {
	in := req.GetSharingAgreement()
	now := s.now()
	a := domain.SharingAgreement{
		ID: uuid.Must(uuid.NewV7()).String(), CouncilID: strings.TrimPrefix(in.GetCouncil(), orgPrefix),
		PartnerID: strings.TrimPrefix(in.GetPartner(), orgPrefix), Purpose: domain.Purpose(in.GetPurpose().String()),
		Start: convert.FromDate(in.GetStartDate()), End: convert.FromDate(in.GetEndDate()), Reference: in.GetReference(),
		CreateTime: now, UpdateTime: now,
	}
	if a.CouncilID != access.Caller(ctx).Organisation {
		return nil, errs.New(errs.PermissionDenied, errs.ReasonAccessDenied, "you may record agreements of your own council only")
	}
	hash := idem.Hash(&pb.CreateSharingAgreementRequest{SharingAgreement: in})
	var out domain.SharingAgreement
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		if err := checkAgreement(ctx, tx, a); err != nil {
			return err
		}
		prior, err := idem.Claim(ctx, tx, "carepath.v1.SharingService/CreateSharingAgreement/"+a.CouncilID,
			req.GetRequestId(), hash, a.ID, now)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = tx.GetSharingAgreement(ctx, prior)
			return err
		}
		if err := partnerManagedForThisCouncil(ctx, tx, a); err != nil {
			return err
		}
		if out, err = tx.CreateSharingAgreement(ctx, a); err != nil {
			return err
		}
		return partnerMayHearAnew(ctx, tx, out, now)
	})
	if err != nil {
		return nil, err
	}
	return agreementToProto(out), nil
}

// partnerMayHearAnew has the reminders of every young person the agreement's partner has a
// share of worked out again at the next sweep, since what the partner may hear of them may
// have changed now (an agreement ended today stops the partner's reminders at once).
func partnerMayHearAnew(ctx context.Context, tx store.Tx, a domain.SharingAgreement, now time.Time) error {
	return tx.HastenReminderSchedules(ctx, a.CouncilID, a.PartnerID, now)
}

// partnerManagedForThisCouncil refuses an agreement that would have a council share with a
// partner another council manages (its steward, while it works with that council alone)
// when the partner has no administrator of its own: the agreement ends the steward's
// management, and someone the partner answers for must manage its staff from then on.
func partnerManagedForThisCouncil(ctx context.Context, tx store.Tx, a domain.SharingAgreement) error {
	partner, err := tx.GetOrganisation(ctx, a.PartnerID)
	if err != nil || partner.Steward == "" || partner.Steward == a.CouncilID {
		return err
	}
	after := ""
	for {
		people, err := tx.ListPeople(ctx, store.PeopleQuery{OrganisationIDs: []string{partner.ID}, AfterID: after, Limit: 100})
		if err != nil {
			return err
		}
		for _, p := range people {
			if p.Has(domain.PartnerAdministrator) && !p.Disabled {
				return nil
			}
		}
		if len(people) < 100 {
			return errs.New(errs.FailedPrecondition, errs.ReasonPartnerHasNoAdmin,
				"the partner is managed by the council that registered it and has no administrator of its own; "+
					"that council's administrator adds a partner administrator first, who then manages the partner's staff")
		}
		after = people[len(people)-1].ID
	}
}

// checkAgreement validates an agreement: real dates, and a partner whose type fits the
// purpose.
func checkAgreement(ctx context.Context, tx store.Tx, a domain.SharingAgreement) error {
	var v errs.Violations
	if !a.Start.Valid() {
		v.Add("sharing_agreement.start_date", "is required and must be a real calendar date")
	}
	if !a.End.IsZero() && (!a.End.Valid() || !a.End.After(a.Start)) {
		v.Add("sharing_agreement.end_date", "must be a real calendar date after the start date")
	}
	partner, err := tx.GetOrganisation(ctx, a.PartnerID)
	switch {
	case err == store.ErrOrganisationNotFound:
		v.Add("sharing_agreement.partner", "is not an organisation")
	case err != nil:
		return err
	case domain.PurposeOf(partner.Type) != a.Purpose:
		v.Add("sharing_agreement.purpose", "does not fit the partner: housing partners share for HOUSING, employment and training partners for EMPLOYMENT")
	}
	return v.Err()
}

func (s *Server) UpdateSharingAgreement(ctx context.Context, req *pb.UpdateSharingAgreementRequest) (*pb.SharingAgreement, error) {
	in := req.GetSharingAgreement()
	ids, err := convert.Parse("sharing_agreement.name", in.GetName(), "sharingAgreements")
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	var out domain.SharingAgreement
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetSharingAgreement(ctx, ids[0])
		if err == store.ErrSharingAgreementNotFound || err == nil && cur.CouncilID != access.Caller(ctx).Organisation {
			return errAgreementDenied
		} else if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		merged := agreementToProto(cur)
		mask, err := listing.Changes("sharing_agreement", req.GetUpdateMask(), in, merged)
		if err != nil {
			return err
		}
		fieldmask.Update(mask, merged, in)
		next := cur
		next.Start, next.End, next.Reference, next.UpdateTime =
			convert.FromDate(merged.GetStartDate()), convert.FromDate(merged.GetEndDate()), merged.GetReference(), s.now()
		if err := checkAgreement(ctx, tx, next); err != nil {
			return err
		}
		if out, err = tx.UpdateSharingAgreement(ctx, next, cur.Revision); err != nil {
			return err
		}
		return partnerMayHearAnew(ctx, tx, out, next.UpdateTime)
	})
	if err != nil {
		return nil, err
	}
	return agreementToProto(out), nil
}

func (s *Server) ListShares(ctx context.Context, req *pb.ListSharesRequest) (*pb.ListSharesResponse, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "youngPeople")
	if err != nil {
		return nil, err
	}
	after, err := listing.AfterID(req.GetPageToken(), req.GetParent())
	if err != nil {
		return nil, err
	}
	var all []domain.Share
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		yp, err := access.YoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if all, err = tx.ListShares(ctx, ids[0]); err != nil {
			return err
		}
		return access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	page, next := listing.PageOf(all, after, listing.PageSize(req.GetPageSize()),
		func(sh domain.Share) string { return sh.ID }, req.GetParent())
	resp := &pb.ListSharesResponse{NextPageToken: next}
	today := civil.Today(s.now())
	for _, sh := range page {
		resp.Shares = append(resp.Shares, shareToProto(sh, today))
	}
	return resp, nil
}

func (s *Server) CreateShare(ctx context.Context, req *pb.CreateShareRequest) (*pb.Share, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "youngPeople")
	if err != nil {
		return nil, err
	}
	in := req.GetShare()
	now := s.now()
	today := civil.Today(now)
	sh := domain.Share{
		ID: uuid.Must(uuid.NewV7()).String(), YoungPersonID: ids[0], PartnerID: strings.TrimPrefix(in.GetPartner(), orgPrefix),
		Purpose: domain.Purpose(in.GetPurpose().String()), Basis: domain.Basis(in.GetBasis().String()),
		Start: convert.FromDate(in.GetStartDate()), Expiry: convert.FromDate(in.GetExpiryDate()),
		RecordedBy: access.Caller(ctx).Subject, CreateTime: now,
	}
	if sh.Start.IsZero() {
		sh.Start = today
	}
	hash := idem.Hash(&pb.CreateShareRequest{Parent: req.GetParent(), Share: in})
	var out domain.Share
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		yp, err := access.LockYoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if err := ownConsent(ctx, tx, yp, sh.Basis, today); err != nil {
			return err
		}
		prior, err := idem.Claim(ctx, tx, "carepath.v1.SharingService/CreateShare/"+yp.ID, req.GetRequestId(), hash, sh.ID, now)
		if err != nil {
			return err
		}
		if prior != "" { // a retry: answer with what the first request made
			if out, err = tx.GetShare(ctx, yp.ID, prior); err != nil {
				return err
			}
			return access.Audit(ctx, tx, now, access.DirectCare, yp.CouncilID, yp.ID)
		}
		rule, err := tx.LeaplingRule(ctx, yp.CouncilID)
		if err != nil {
			return err
		}
		if err := checkShare(sh, yp, today, rule); err != nil {
			return err
		}
		ok, err := agreementInForce(ctx, tx, yp.CouncilID, sh.PartnerID, sh.Purpose, sh.Start)
		if err != nil {
			return err
		}
		if !ok {
			return errs.New(errs.FailedPrecondition, errs.ReasonNoSharingAgreement,
				"the council has no sharing agreement in force with this partner for this purpose on the share's start date; "+
					"an administrator records one with CreateSharingAgreement")
		}
		if out, err = tx.CreateShare(ctx, sh); err != nil {
			return err
		}
		if err := s.planner.Remind(ctx, tx, yp.ID); err != nil {
			return err
		}
		return access.Audit(ctx, tx, now, access.DirectCare, yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	return shareToProto(out, today), nil
}

var (
	errUnderEighteen = errs.New(errs.PermissionDenied, errs.ReasonUnderEighteen,
		"you may give or withdraw your consent to share from your 18th birthday; until then your personal adviser decides with you")
	errNotTheirs = errs.New(errs.PermissionDenied, errs.ReasonConsentNotTheirs,
		"only shares made with your consent (basis CONSENT) are yours to give or withdraw; "+
			"a REFERRAL is your council's decision: ask your personal adviser")
)

// ownConsent lets a young person give or withdraw a share of their own only from 18, and
// only a CONSENT one: a REFERRAL is the council's decision, and under 18 their staff decide.
// Staff are not limited by it (their shares are checked by checkShare).
func ownConsent(ctx context.Context, tx store.Settings, yp domain.YoungPerson, basis domain.Basis, today civil.Date) error {
	if !access.Caller(ctx).Has(access.YoungPersonRole) {
		return nil
	}
	rule, err := store.NewLeaplingRules(tx).Of(ctx, yp.CouncilID)
	if err != nil {
		return err
	}
	if today.Before(civil.Attains(yp.DateOfBirth, civil.Period{Years: 18}, rule)) {
		return errUnderEighteen
	}
	if basis != domain.BasisConsent {
		return errNotTheirs
	}
	return nil
}

// checkShare validates a share: a purpose, a basis (consent from 18), and dates.
func checkShare(sh domain.Share, yp domain.YoungPerson, today civil.Date, rule civil.LeaplingRule) error {
	var v errs.Violations
	if sh.Purpose != domain.PurposeHousing && sh.Purpose != domain.PurposeEmployment {
		v.Add("share.purpose", "is required")
	}
	switch adult := !today.Before(civil.Attains(yp.DateOfBirth, civil.Period{Years: 18}, rule)); {
	case sh.Basis != domain.BasisReferral && sh.Basis != domain.BasisConsent:
		v.Add("share.basis", "is required")
	case adult && sh.Basis != domain.BasisConsent:
		v.Add("share.basis", "must be CONSENT: the young person is an adult and their recorded consent is needed")
	}
	if !sh.Start.Valid() || sh.Start.Before(today) {
		v.Add("share.start_date", "must be a real calendar date, today or later")
	}
	switch {
	case !sh.Expiry.Valid() || !sh.Expiry.After(sh.Start):
		v.Add("share.expiry_date", "is required and must be after the start date")
	case sh.Expiry.After(sh.Start.Add(civil.Period{Years: maxShare}, rule)):
		v.Add("share.expiry_date", "must be at most two years after the start: renew the share then")
	}
	return v.Err()
}

func agreementInForce(ctx context.Context, tx store.Tx, council, partner string, purpose domain.Purpose, day civil.Date) (bool, error) {
	after := ""
	for {
		page, err := tx.ListSharingAgreements(ctx, council, after, 100)
		if err != nil {
			return false, err
		}
		for _, a := range page {
			if a.PartnerID == partner && a.Purpose == purpose && a.InForce(day) {
				return true, nil
			}
		}
		if len(page) < 100 {
			return false, nil
		}
		after = page[len(page)-1].ID
	}
}

func (s *Server) WithdrawShare(ctx context.Context, req *pb.WithdrawShareRequest) (*pb.Share, error) {
	ids, err := convert.Parse("name", req.GetName(), "youngPeople", "shares")
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(req.GetEtag())
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out domain.Share
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		yp, err := access.LockYoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		cur, err := tx.GetShare(ctx, ids[0], ids[1])
		if err != nil {
			return err
		}
		if err := ownConsent(ctx, tx, yp, cur.Basis, civil.Today(now)); err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		if !cur.WithdrawTime.IsZero() {
			return errs.New(errs.FailedPrecondition, errs.ReasonInvalidTransition, "the share is already withdrawn; create a new share to share the young person again")
		}
		cur.WithdrawTime, cur.WithdrawReason = now, req.GetReason()
		if out, err = tx.UpdateShare(ctx, cur, cur.Revision); err != nil {
			return err
		}
		if err := s.planner.Remind(ctx, tx, yp.ID); err != nil { // a partner's reminders stop
			return err
		}
		return access.Audit(ctx, tx, now, access.DirectCare, yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	return shareToProto(out, civil.Today(now)), nil
}
