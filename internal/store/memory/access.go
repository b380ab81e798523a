package memory

import (
	"time"

	"context"
	"fmt"
	"slices"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) GetOrganisation(_ context.Context, id string) (domain.Organisation, error) {
	obj, err := t.first(tableOrgs, "id", id)
	if err != nil {
		return domain.Organisation{}, err
	}
	if obj == nil {
		return domain.Organisation{}, store.ErrOrganisationNotFound
	}
	return copyOrg(*obj.(*domain.Organisation)), nil
}

func copyOrg(o domain.Organisation) domain.Organisation {
	o.CertificateSubjects = slices.Clone(o.CertificateSubjects)
	return o
}

func (t *tx) ListOrganisations(_ context.Context, afterID string, limit int) ([]domain.Organisation, error) {
	it, err := t.txn.LowerBound(tableOrgs, "id", afterID)
	if err != nil {
		return nil, fmt.Errorf("memory: list organisations: %w", err)
	}
	var out []domain.Organisation
	for obj := it.Next(); obj != nil && len(out) < limit; obj = it.Next() {
		if o := obj.(*domain.Organisation); o.ID != afterID {
			out = append(out, copyOrg(*o))
		}
	}
	return out, nil
}

func (t *tx) CreateOrganisation(ctx context.Context, o domain.Organisation) (domain.Organisation, error) {
	if obj, err := t.first(tableOrgs, "id", o.ID); err != nil || obj != nil {
		return domain.Organisation{}, orExists(err)
	}
	if err := t.certificatesFree(o); err != nil {
		return domain.Organisation{}, err
	}
	if o.Steward != "" {
		if _, err := t.GetOrganisation(ctx, o.Steward); err != nil {
			return domain.Organisation{}, err
		}
	}
	o = copyOrg(o)
	o.Revision, o.CreateTime, o.UpdateTime = 1, storedTime(o.CreateTime), storedTime(o.UpdateTime)
	stored := copyOrg(o)
	return o, t.insert(tableOrgs, &stored)
}

// certificatesFree refuses a certificate subject another organisation uses, as the
// PostgreSQL store's unique index does.
func (t *tx) certificatesFree(o domain.Organisation) error {
	for _, s := range o.CertificateSubjects {
		obj, err := t.first(tableOrgs, "certificate", s)
		if err != nil {
			return err
		}
		if obj != nil && obj.(*domain.Organisation).ID != o.ID {
			return store.ErrExists
		}
	}
	return nil
}

func orMissing(err, missing error) error {
	if err != nil {
		return err
	}
	return missing
}

func orExists(err error) error {
	if err != nil {
		return err
	}
	return store.ErrExists
}

func (t *tx) UpdateOrganisation(ctx context.Context, o domain.Organisation, ifRevision int64) (domain.Organisation, error) {
	old, err := t.GetOrganisation(ctx, o.ID)
	if err != nil {
		return o, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return o, err
	}
	if err := t.certificatesFree(o); err != nil {
		return o, err
	}
	o = copyOrg(o)
	o.Type, o.Steward, o.Revision, o.CreateTime, o.UpdateTime = old.Type, old.Steward, old.Revision+1, old.CreateTime, storedTime(o.UpdateTime)
	stored := copyOrg(o)
	return o, t.insert(tableOrgs, &stored)
}

func (t *tx) OrganisationByCertificateSubject(_ context.Context, subject string) (domain.Organisation, error) {
	obj, err := t.first(tableOrgs, "certificate", subject)
	if err != nil {
		return domain.Organisation{}, err
	}
	if obj == nil {
		return domain.Organisation{}, store.ErrOrganisationNotFound
	}
	return copyOrg(*obj.(*domain.Organisation)), nil
}

func copyPerson(p domain.Person) domain.Person {
	p.Roles = slices.Clone(p.Roles)
	return p
}

func (t *tx) GetPerson(_ context.Context, id string) (domain.Person, error) {
	obj, err := t.first(tablePeople, "id", id)
	if err != nil {
		return domain.Person{}, err
	}
	if obj == nil {
		return domain.Person{}, store.ErrPersonNotFound
	}
	return copyPerson(*obj.(*domain.Person)), nil
}

func (t *tx) ListPeople(_ context.Context, q store.PeopleQuery) ([]domain.Person, error) {
	it, err := t.txn.LowerBound(tablePeople, "id", q.AfterID)
	if err != nil {
		return nil, fmt.Errorf("memory: list people: %w", err)
	}
	var out []domain.Person
	for obj := it.Next(); obj != nil && len(out) < q.Limit; obj = it.Next() {
		p := obj.(*domain.Person)
		if p.ID == q.AfterID || q.Team != "" && p.Team != q.Team ||
			len(q.OrganisationIDs) > 0 && !slices.Contains(q.OrganisationIDs, p.OrganisationID) {
			continue
		}
		out = append(out, copyPerson(*p))
	}
	return out, nil
}

func (t *tx) CreatePerson(_ context.Context, p domain.Person) (domain.Person, error) {
	if obj, err := t.first(tablePeople, "id", p.ID); err != nil || obj != nil {
		return domain.Person{}, orExists(err)
	}
	if obj, err := t.first(tableOrgs, "id", p.OrganisationID); err != nil || obj == nil {
		return domain.Person{}, orMissing(err, store.ErrOrganisationNotFound)
	}
	if p.YoungPersonID != "" {
		// One account per young person, as the PostgreSQL store's unique index has it; the
		// young person must exist, as its foreign key has it.
		if obj, err := t.first(tablePeople, "young_person", p.YoungPersonID); err != nil || obj != nil {
			return domain.Person{}, orExists(err)
		}
		if _, err := t.getYoungPerson(p.YoungPersonID); err != nil {
			return domain.Person{}, err
		}
	}
	p = copyPerson(p)
	p.Revision, p.CreateTime, p.UpdateTime = 1, storedTime(p.CreateTime), storedTime(p.UpdateTime)
	stored := copyPerson(p)
	return p, t.insert(tablePeople, &stored)
}

func (t *tx) UpdatePerson(ctx context.Context, p domain.Person, ifRevision int64) (domain.Person, error) {
	old, err := t.GetPerson(ctx, p.ID)
	if err != nil {
		return p, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return p, err
	}
	p = copyPerson(p)
	p.OrganisationID, p.YoungPersonID = old.OrganisationID, old.YoungPersonID // set at creation only
	p.OwnReminders = old.OwnReminders                                         // the young person's own (SetOwnReminders)
	p.Revision, p.CreateTime, p.UpdateTime = old.Revision+1, old.CreateTime, storedTime(p.UpdateTime)
	stored := copyPerson(p)
	return p, t.insert(tablePeople, &stored)
}

func (t *tx) YoungPersonAccount(_ context.Context, youngPersonID string) (domain.Person, error) {
	obj, err := t.first(tablePeople, "young_person", youngPersonID)
	if err != nil || obj == nil {
		return domain.Person{}, orMissing(err, store.ErrPersonNotFound)
	}
	return copyPerson(*obj.(*domain.Person)), nil
}

func (t *tx) YoungPersonAccounts(ctx context.Context, youngPersonIDs []string) ([]domain.Person, error) {
	var out []domain.Person
	for _, id := range youngPersonIDs {
		p, err := t.YoungPersonAccount(ctx, id)
		if errs.KindOf(err) == errs.NotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (t *tx) SetOwnReminders(ctx context.Context, personID string, on bool, at time.Time, ifRevision int64) (domain.Person, error) {
	p, err := t.GetPerson(ctx, personID)
	if err != nil {
		return p, err
	}
	if err := store.CheckRevision(ifRevision, p.Revision); err != nil {
		return p, err
	}
	p.OwnReminders, p.Revision, p.UpdateTime = on, p.Revision+1, storedTime(at)
	stored := copyPerson(p)
	return p, t.insert(tablePeople, &stored)
}
