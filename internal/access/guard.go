package access

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"google.golang.org/grpc"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/principal"
	"github.com/carepath/carepath/internal/platform/requestid"
	"github.com/carepath/carepath/internal/store"
)

// ErrYoungPersonDenied is the answer for a young person the caller may not see, whether or
// not they exist: a different answer would tell outsiders that someone is, or was, in care.
var ErrYoungPersonDenied = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"you may not access this young person, or there is no such young person")

// Caller returns the principal of the call; it panics if the access interceptor did not run.
func Caller(ctx context.Context) principal.Principal {
	p, ok := principal.From(ctx)
	if !ok {
		panic("access: no principal in the context: the access interceptor did not run")
	}
	return p
}

// Scope returns the young people a member of staff may see: a personal adviser their
// caseload; a team manager their team's caseloads and the council's unallocated young
// people. A young person sees themself alone. Other callers see no one through it.
func Scope(ctx context.Context) *store.Scope {
	p := Caller(ctx)
	if p.OrganisationType != string(domain.Council) {
		return &store.Scope{} // every young person has a council, so this matches no one
	}
	if p.Has(YoungPersonRole) {
		// Whatever else the account might hold (RolesProblem lets it hold nothing else).
		return store.SelfScope(p.Organisation, p.YoungPerson)
	}
	roles := make([]domain.Role, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = domain.Role(r)
	}
	return store.StaffScope(p.Organisation, p.Subject, roles, p.TeamAdvisers)
}

// YoungPerson returns the young person if the caller may see them, else ErrYoungPersonDenied.
func YoungPerson(ctx context.Context, tx store.Tx, id string) (domain.YoungPerson, error) {
	return checked(ctx, id, func() (domain.YoungPerson, error) { return tx.GetYoungPerson(ctx, id) })
}

// Pathway returns the young person with their episodes, milestones and facts, as
// store.LoadPathways, if the caller may see them, else ErrYoungPersonDenied. It is one round
// trip where YoungPerson and the reads after it would be several: what a caller may not see
// is read and dropped, never returned.
func Pathway(ctx context.Context, tx store.Tx, id string) (store.PathwayState, error) {
	return pathway(ctx, tx.LoadPathways, id)
}

// Timeline is Pathway without the facts (store.LoadTimelines): what showing a pathway needs.
func Timeline(ctx context.Context, tx store.Tx, id string) (store.PathwayState, error) {
	return pathway(ctx, tx.LoadTimelines, id)
}

func pathway(ctx context.Context, load func(context.Context, []string) ([]store.PathwayState, error), id string) (store.PathwayState, error) {
	states, err := load(ctx, []string{id})
	if err != nil {
		return store.PathwayState{}, err
	}
	if len(states) == 0 || !Scope(ctx).Contains(states[0].YoungPerson) {
		return store.PathwayState{}, ErrYoungPersonDenied
	}
	return states[0], nil
}

// LockYoungPerson is YoungPerson holding the young person for the transaction.
func LockYoungPerson(ctx context.Context, tx store.Tx, id string) (domain.YoungPerson, error) {
	return checked(ctx, id, func() (domain.YoungPerson, error) { return tx.LockYoungPerson(ctx, id) })
}

func checked(ctx context.Context, id string, load func() (domain.YoungPerson, error)) (domain.YoungPerson, error) {
	yp, err := load()
	if errors.Is(err, store.ErrYoungPersonNotFound) || err == nil && !Scope(ctx).Contains(yp) {
		return domain.YoungPerson{}, ErrYoungPersonDenied
	}
	return yp, err
}

// DirectCare is the purpose of access the audit trail records for the council's staff;
// partners' is the purpose of their share; AuditPurpose is auditors' reading of the trail;
// Reporting an administrator's counts for the partnership board.
// Self is a young person's reading (or consenting) about themself: whatever purpose a
// service names, a young person's access is recorded as Self (see AuditSummary).
const (
	DirectCare   = "DIRECT_CARE"
	AuditPurpose = "AUDIT"
	Reporting    = "REPORTING"
	Self         = "SELF"
)

// Audit records, in tx, that the caller read or wrote the personal data of the young
// people, for the purpose, under the council. If recording fails, so does the call: the
// caller returns the error and the transaction rolls back. The record is one INSERT that
// takes no lock; it is sealed into its chain after the transaction commits.
func Audit(ctx context.Context, tx store.Tx, now time.Time, purpose, council string, youngPeople ...string) error {
	if len(youngPeople) == 0 {
		return nil
	}
	return AuditSummary(ctx, tx, now, purpose, council, youngPeople...)
}

// AuditSummary records, as Audit does, a read of data derived from young people that may
// name none of them: counts for the partnership board, a search of the audit trail.
func AuditSummary(ctx context.Context, tx store.Tx, now time.Time, purpose, council string, youngPeople ...string) error {
	method, _ := grpc.Method(ctx)
	c := Caller(ctx)
	if c.Has(YoungPersonRole) {
		// The services name the purpose of staff; a young person's own access is theirs.
		purpose = Self
	}
	r := record(ctx, c, method, now)
	r.Purpose, r.Outcome, r.Council = purpose, audit.OutcomeOK, council
	ids := slices.Clone(youngPeople)
	sort.Strings(ids)
	r.YoungPeople = slices.Compact(ids)
	// AppendAudits: the store may write it with the transaction's commit (its id unread).
	return tx.AppendAudits(ctx, []audit.Record{r})
}

// record is the audit record of a call by p: who, from where, what, when.
func record(ctx context.Context, p principal.Principal, method string, now time.Time) audit.Record {
	chain := p.Organisation
	if chain == "" {
		chain = audit.AnonymousChain
	}
	return audit.Record{Chain: chain, Time: now, Actor: p.Subject, Organisation: p.Organisation, Roles: p.Roles,
		Action: trimSlash(method), RequestID: requestid.From(ctx), ClientAddress: p.ClientAddress}
}

func trimSlash(method string) string {
	if len(method) > 0 && method[0] == '/' {
		return method[1:]
	}
	return method
}
