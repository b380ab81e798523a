package memory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) GetSharingAgreement(_ context.Context, id string) (domain.SharingAgreement, error) {
	obj, err := t.first(tableAgreements, "id", id)
	if err != nil || obj == nil {
		return domain.SharingAgreement{}, orMissing(err, store.ErrSharingAgreementNotFound)
	}
	return *obj.(*domain.SharingAgreement), nil
}

func (t *tx) ListSharingAgreements(_ context.Context, councilID, afterID string, limit int) ([]domain.SharingAgreement, error) {
	objs, err := t.all(tableAgreements, "council", councilID)
	if err != nil {
		return nil, err
	}
	var out []domain.SharingAgreement
	for _, o := range objs {
		if a := o.(*domain.SharingAgreement); a.ID > afterID {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b domain.SharingAgreement) int { return strings.Compare(a.ID, b.ID) })
	return out[:min(limit, len(out))], nil
}

func (t *tx) PartnerCouncils(_ context.Context, partnerID string) ([]string, error) {
	objs, err := t.all(tableAgreements, "id")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		if a := o.(*domain.SharingAgreement); a.PartnerID == partnerID && !slices.Contains(out, a.CouncilID) {
			out = append(out, a.CouncilID)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (t *tx) CreateSharingAgreement(ctx context.Context, a domain.SharingAgreement) (domain.SharingAgreement, error) {
	if obj, err := t.first(tableAgreements, "id", a.ID); err != nil || obj != nil {
		return a, orExists(err)
	}
	for _, id := range []string{a.CouncilID, a.PartnerID} {
		if _, err := t.GetOrganisation(ctx, id); err != nil {
			return a, err
		}
	}
	a.Revision, a.CreateTime, a.UpdateTime = 1, storedTime(a.CreateTime), storedTime(a.UpdateTime)
	stored := a
	return a, t.insert(tableAgreements, &stored)
}

func (t *tx) UpdateSharingAgreement(ctx context.Context, a domain.SharingAgreement, ifRevision int64) (domain.SharingAgreement, error) {
	old, err := t.GetSharingAgreement(ctx, a.ID)
	if err != nil {
		return a, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return a, err
	}
	a.CouncilID, a.PartnerID, a.Purpose = old.CouncilID, old.PartnerID, old.Purpose
	a.Revision, a.CreateTime, a.UpdateTime = old.Revision+1, old.CreateTime, storedTime(a.UpdateTime)
	stored := a
	return a, t.insert(tableAgreements, &stored)
}

func (t *tx) ListShares(_ context.Context, youngPersonIDs ...string) ([]domain.Share, error) {
	var out []domain.Share
	for _, id := range slices.Compact(slices.Sorted(slices.Values(youngPersonIDs))) {
		objs, err := t.all(tableShares, "young_person", id)
		if err != nil {
			return nil, err
		}
		some := make([]domain.Share, len(objs))
		for i, o := range objs {
			some[i] = *o.(*domain.Share)
		}
		slices.SortFunc(some, func(a, b domain.Share) int { // newest first
			if c := b.CreateTime.Compare(a.CreateTime); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		out = append(out, some...)
	}
	return out, nil
}

func (t *tx) GetShare(_ context.Context, youngPersonID, id string) (domain.Share, error) {
	obj, err := t.first(tableShares, "id", id)
	if err != nil || obj == nil || obj.(*domain.Share).YoungPersonID != youngPersonID {
		return domain.Share{}, orMissing(err, store.ErrShareNotFound)
	}
	return *obj.(*domain.Share), nil
}

func (t *tx) CreateShare(ctx context.Context, s domain.Share) (domain.Share, error) {
	if _, err := t.getYoungPerson(s.YoungPersonID); err != nil {
		return s, err
	}
	if obj, err := t.first(tableShares, "id", s.ID); err != nil || obj != nil {
		return s, orExists(err)
	}
	if _, err := t.GetOrganisation(ctx, s.PartnerID); err != nil {
		return s, err
	}
	s.Revision, s.CreateTime, s.WithdrawTime = 1, storedTime(s.CreateTime), storedTime(s.WithdrawTime)
	stored := s
	return s, t.insert(tableShares, &stored)
}

func (t *tx) UpdateShare(ctx context.Context, s domain.Share, ifRevision int64) (domain.Share, error) {
	old, err := t.GetShare(ctx, s.YoungPersonID, s.ID)
	if err != nil {
		return s, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return s, err
	}
	next := old
	next.WithdrawTime, next.WithdrawReason, next.Revision = storedTime(s.WithdrawTime), s.WithdrawReason, old.Revision+1
	stored := next
	return next, t.insert(tableShares, &stored)
}

func (t *tx) ListSharedYoungPeople(ctx context.Context, q store.SharedQuery) ([]domain.YoungPerson, error) {
	objs, err := t.all(tableShares, "partner", q.PartnerID)
	if err != nil {
		return nil, err
	}
	agreements := map[string]bool{} // councils with an agreement in force
	found := map[string]*youngPerson{}
	for _, o := range objs {
		s := o.(*domain.Share)
		if s.Purpose != q.Purpose || !s.InForce(q.Day) || s.YoungPersonID <= q.AfterID ||
			q.YoungPersonID != "" && s.YoungPersonID != q.YoungPersonID ||
			len(q.YoungPersonIDs) > 0 && !slices.Contains(q.YoungPersonIDs, s.YoungPersonID) {
			continue
		}
		yp, err := t.getYoungPerson(s.YoungPersonID)
		if err != nil {
			return nil, err
		}
		if !yp.DateOfBirth.After(q.BornAfter) {
			continue
		}
		ok, seen := agreements[yp.CouncilID]
		if !seen {
			if ok, err = t.agreementInForce(ctx, yp.CouncilID, q.PartnerID, q.Purpose, q.Day); err != nil {
				return nil, err
			}
			agreements[yp.CouncilID] = ok
		}
		if ok {
			found[yp.ID] = yp
		}
	}
	sorted := slices.Sorted(maps.Keys(found))
	var out []domain.YoungPerson
	for _, id := range sorted[:min(q.Limit, len(sorted))] {
		out = append(out, found[id].YoungPerson)
	}
	return out, nil
}

func (t *tx) agreementInForce(_ context.Context, council, partner string, purpose domain.Purpose, day civil.Date) (bool, error) {
	objs, err := t.all(tableAgreements, "council", council)
	if err != nil {
		return false, fmt.Errorf("memory: agreements: %w", err)
	}
	for _, o := range objs {
		a := o.(*domain.SharingAgreement)
		if a.PartnerID == partner && a.Purpose == purpose && a.InForce(day) {
			return true, nil
		}
	}
	return false, nil
}
