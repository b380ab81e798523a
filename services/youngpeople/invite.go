package youngpeople

import (
	"context"
	"errors"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
)

// inviteAge is the age from which a young person may have an account of their own.
var inviteAge = civil.Period{Years: 13}

var (
	errTooYoung = errs.New(errs.FailedPrecondition, errs.ReasonUnderThirteen,
		"a young person may have an account of their own from their 13th birthday")
	errPersonIDTaken = errs.New(errs.AlreadyExists, errs.ReasonResourceExists,
		"the person id is already someone's account: use the subject of the young person's own account at the identity provider")
	errHasAccount = errs.New(errs.AlreadyExists, errs.ReasonResourceExists,
		"the young person already has an account")
)

// InviteYoungPerson gives a young person an account of their own: a person of their
// council, with the one role YOUNG_PERSON, linked to their record. Whoever may see the young
// person (their personal adviser, their team manager) may invite them.
func (s *Server) InviteYoungPerson(ctx context.Context, req *pb.InviteYoungPersonRequest) (*pb.Person, error) {
	id, err := parseName("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if req.GetPersonId() == "me" {
		return nil, errs.Invalid(errs.Violation{Field: "person_id", Description: `"me" stands for the caller in people/me; choose another id`})
	}
	now := s.now()
	var out domain.Person
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		yp, err := access.LockYoungPerson(ctx, tx, id)
		if err != nil {
			return err
		}
		rule, err := store.NewLeaplingRules(tx).Of(ctx, yp.CouncilID)
		if err != nil {
			return err
		}
		if civil.Today(now).Before(civil.Attains(yp.DateOfBirth, inviteAge, rule)) {
			return errTooYoung
		}
		if _, err := tx.GetPerson(ctx, req.GetPersonId()); err == nil {
			return errPersonIDTaken
		} else if !errors.Is(err, store.ErrPersonNotFound) {
			return err
		}
		out, err = tx.CreatePerson(ctx, domain.Person{ID: req.GetPersonId(), DisplayName: req.GetDisplayName(),
			OrganisationID: yp.CouncilID, Roles: []domain.Role{domain.YoungPersonRole}, YoungPersonID: yp.ID,
			CreateTime: now, UpdateTime: now})
		if errors.Is(err, store.ErrExists) {
			return errHasAccount // the id was free (checked above, in this transaction)
		} else if err != nil {
			return err
		}
		return access.Audit(ctx, tx, now, access.DirectCare, yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	return &pb.Person{Name: "people/" + out.ID, DisplayName: out.DisplayName, Organisation: "organisations/" + out.OrganisationID,
		Roles: []pb.Person_Role{pb.Person_YOUNG_PERSON}, YoungPerson: "youngPeople/" + out.YoungPersonID,
		CreateTime: timestamppb.New(out.CreateTime), UpdateTime: timestamppb.New(out.UpdateTime), Etag: convert.Etag(out.Revision)}, nil
}
