package access

import (
	"context"
	"errors"
	"regexp"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/principal"
	"github.com/carepath/carepath/internal/store"
)

// refusalTimeout bounds the recording of a refused call, which runs after the answer is
// decided and even if the caller has gone.
const refusalTimeout = 5 * time.Second

// recordRefusal writes the audit record of a call refused PERMISSION_DENIED to a caller
// whose identity is known (a token that verified, or a registered certificate): who, what,
// which young person the request named, and why, in the words of the refusal. It runs in a
// short transaction of its own, one INSERT with no lock, so that refusals serialise nothing.
// If it cannot be written the refusal stands as it was, and the failure is logged: a caller
// must not learn anything, or get another answer, from the state of the audit trail.
//
// Calls with no identity (no token, an invalid one, an unknown certificate) are not
// recorded: there is no one to name, and recording them would let anyone write to the
// trail at will. They are logged with their status like every call.
func (a *Authenticator) recordRefusal(ctx context.Context, p principal.Principal, method string, req any, refusal error) {
	var e *errs.Error
	if p.Subject == "" || !errors.As(refusal, &e) || e.Kind != errs.PermissionDenied {
		return
	}
	r := record(ctx, p, method, a.now())
	r.Outcome, r.Reason, r.Purpose = audit.OutcomeDenied, e.Message, purposeOf(p)
	if id := namedYoungPerson(req); id != "" {
		r.YoungPeople = []string{id}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refusalTimeout)
	defer cancel()
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		if len(r.YoungPeople) > 0 {
			// The council whose young person it is (if there is one) sees the attempt too.
			if yp, err := tx.GetYoungPerson(ctx, r.YoungPeople[0]); err == nil {
				r.Council = yp.CouncilID
			} else if !errors.Is(err, store.ErrYoungPersonNotFound) {
				return err
			}
		}
		return tx.AppendAudits(ctx, []audit.Record{r})
	})
	if err != nil {
		a.log.WarnContext(ctx, "could not record a refused call in the audit trail", "grpc.method", method, "error", err)
	}
}

// purposeOf is the purpose a caller acts for: a partner's, the one its organisation is
// for; council staff's, direct care; a young person's, themself; others' (administrators, auditors) none.
func purposeOf(p principal.Principal) string {
	switch {
	case p.Has(Partner):
		return string(domain.PurposeOf(domain.OrganisationType(p.OrganisationType)))
	case p.Has(PA, Manager):
		return DirectCare
	case p.Has(YoungPersonRole):
		return Self
	}
	return ""
}

// youngPersonName finds a young person's id in a resource name: youngPeople/{id}/... or
// organisations/{org}/sharedYoungPeople/{id}.
var youngPersonName = regexp.MustCompile(`(?:^|/)(?:youngPeople|sharedYoungPeople)/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:/|$)`)

// namedFields are the request fields that may name a young person.
var namedFields = []protoreflect.Name{"name", "parent", "young_person"}

// namedYoungPerson returns the young person a request names, if any. Requests refused by
// their method's policy have not been validated yet, so only a well-formed id counts.
func namedYoungPerson(req any) string {
	m, ok := req.(proto.Message)
	if !ok {
		return ""
	}
	msg := m.ProtoReflect()
	for _, name := range namedFields {
		f := msg.Descriptor().Fields().ByName(name)
		if f == nil || f.Kind() != protoreflect.StringKind || f.IsList() {
			continue
		}
		if match := youngPersonName.FindStringSubmatch(msg.Get(f).String()); match != nil {
			return match[1]
		}
	}
	return ""
}
