package youngpeople

import (
	"context"
	"fmt"
	"strings"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// BatchAllocatePersonalAdviser allocates many young people in one transaction, all or
// none: the young people are loaded and locked in one query, each one the caller may not
// see is named by its index (with the same refusal whether or not they exist), and those
// whose adviser changes are written in one statement and followed up (readiness,
// reminders) together.
func (s *Server) BatchAllocatePersonalAdviser(ctx context.Context, req *pb.BatchAllocatePersonalAdviserRequest) (*pb.BatchAllocatePersonalAdviserResponse, error) {
	ids := make([]string, len(req.GetYoungPeople()))
	for i, name := range req.GetYoungPeople() {
		id, err := parseName(fmt.Sprintf("young_people[%d]", i), name)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	adviser := strings.TrimPrefix(req.GetPersonalAdviser(), personPrefix)
	now := s.now()
	resp := &pb.BatchAllocatePersonalAdviserResponse{}
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		// The adviser is checked once for all, as a change from no one (it is never empty).
		if err := checkAdviser(ctx, tx, "personal_adviser", "", adviser); err != nil {
			return err
		}
		locked, err := tx.LockYoungPeople(ctx, ids)
		if err != nil {
			return err
		}
		byID, err := visible(ctx, ids, locked)
		if err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, now, access.DirectCare, access.Caller(ctx).Organisation, ids...); err != nil {
			return err
		}
		var moving []string
		for _, yp := range locked {
			if yp.PersonalAdviserID != adviser {
				moving = append(moving, yp.ID)
			}
		}
		if !req.GetValidateOnly() && len(moving) > 0 {
			allocated, err := tx.AllocateYoungPeople(ctx, moving, adviser, now)
			if err != nil {
				return err
			}
			for _, yp := range allocated {
				byID[yp.ID] = yp
			}
			// The caseload moves at once, and so do readiness ("adviser allocated") and the
			// reminders: the old adviser's open ones are cancelled, the new adviser's raised.
			if err := s.planner.Changed(ctx, tx, moving...); err != nil {
				return err
			}
		}
		inOrder := make([]domain.YoungPerson, len(ids))
		for i, id := range ids {
			inOrder[i] = byID[id]
		}
		resp.YoungPeople, err = s.render(ctx, tx, inOrder...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// visible indexes the locked young people by id, or names by index every requested young
// person the caller may not see: missing and hidden alike, so that the answer tells no one
// who exists.
func visible(ctx context.Context, ids []string, locked []domain.YoungPerson) (map[string]domain.YoungPerson, error) {
	scope := access.Scope(ctx)
	byID := make(map[string]domain.YoungPerson, len(locked))
	for _, yp := range locked {
		if scope.Contains(yp) {
			byID[yp.ID] = yp
		}
	}
	var denied []errs.Violation
	for i, id := range ids {
		if _, ok := byID[id]; !ok {
			denied = append(denied, errs.Violation{Field: fmt.Sprintf("young_people[%d]", i),
				Description: "you may not access this young person, or there is no such young person"})
		}
	}
	if len(denied) > 0 {
		e := *access.ErrYoungPersonDenied
		e.Message = "you may not access some of these young people, or there are no such young people; none was allocated"
		e.Violations = denied
		return nil, &e
	}
	return byID, nil
}
