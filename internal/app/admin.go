package app

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/postgres"
)

// DevRoles are the roles `carepath dev-token` mints tokens for.
func DevRoles() []string {
	roles := make([]string, 0, len(demo.DevPrincipals))
	for r := range demo.DevPrincipals {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	return roles
}

// DevToken mints a development-issuer token for the demo principal of a role.
func DevToken(role string, ttl time.Duration) (string, error) {
	subject, ok := demo.DevPrincipals[role]
	if !ok {
		return "", fmt.Errorf("unknown role %q; use one of %s", role, strings.Join(DevRoles(), ", "))
	}
	return authn.DevToken(subject, ttl, time.Now())
}

// Registered says what Setup found and what it added.
type Registered struct {
	CouncilAdded, AdminAdded bool
}

// Setup registers a council and its first administrator in the database (`carepath setup`):
// councils are set up with the deployment, not over the API. It may run again: what is
// there already is left as it is, but a council id that is another kind of organisation, or
// an administrator id that is someone else's, is refused.
func Setup(ctx context.Context, databaseURL, councilID, councilName, adminID, adminName string, now time.Time) (Registered, error) {
	var out Registered
	err := withDatabase(ctx, databaseURL, func(s store.Store) error {
		return s.InTx(ctx, func(tx store.Tx) error {
			out = Registered{}
			switch o, err := tx.GetOrganisation(ctx, councilID); {
			case err == nil && o.Type != domain.Council:
				return fmt.Errorf("organisation %s is registered already, and is not a council", councilID)
			case errs.KindOf(err) == errs.NotFound:
				if _, err := tx.CreateOrganisation(ctx, domain.Organisation{ID: councilID, DisplayName: councilName,
					Type: domain.Council, CreateTime: now, UpdateTime: now}); err != nil {
					return fmt.Errorf("council %s: %w", councilID, err)
				}
				out.CouncilAdded = true
			case err != nil:
				return err
			}
			switch p, err := tx.GetPerson(ctx, adminID); {
			case err == nil && (p.OrganisationID != councilID || !slices.Contains(p.Roles, domain.Administrator)):
				return fmt.Errorf("person %s is registered already, and is not an administrator of %s", adminID, councilID)
			case errs.KindOf(err) == errs.NotFound:
				if _, err := tx.CreatePerson(ctx, domain.Person{ID: adminID, DisplayName: adminName, OrganisationID: councilID,
					Roles: []domain.Role{domain.Administrator}, CreateTime: now, UpdateTime: now}); err != nil {
					return fmt.Errorf("administrator %s: %w", adminID, err)
				}
				out.AdminAdded = true
			case err != nil:
				return err
			}
			return nil
		})
	})
	return out, err
}

// SetupDemo loads the demo into the database (`carepath setup --demo`): its councils,
// partners, people, sharing agreements and the council's pathway settings, and with
// youngPeople the demo young people, dated from today. What is there already is left as it
// is. It returns how many young people it added.
func SetupDemo(ctx context.Context, databaseURL string, youngPeople bool, now time.Time) (int, error) {
	added := 0
	err := withDatabase(ctx, databaseURL, func(s store.Store) (err error) {
		today := civil.Today(now)
		if youngPeople {
			added, err = demo.Load(ctx, s, planner.New(catalogue.Default(), func() time.Time { return now }), today)
			return err
		}
		return s.InTx(ctx, func(tx store.Tx) error { return demo.LoadAccess(ctx, tx, today, now) })
	})
	return added, err
}

// DemoSubjects are the demo people `carepath dev-token` mints tokens for, by role.
func DemoSubjects() map[string]string { return maps.Clone(demo.DevPrincipals) }

// withDatabase opens a migrated database for an administrative command.
func withDatabase(ctx context.Context, databaseURL string, do func(store.Store) error) error {
	s, err := postgres.Open(ctx, databaseURL, postgres.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Ready(ctx); err != nil {
		return err
	}
	return do(s)
}

// VerifyAudit checks every audit chain in the database (`carepath audit verify`), writes what
// it finds to out and reports whether every chain is intact.
func VerifyAudit(ctx context.Context, databaseURL string, out io.Writer) (bool, error) {
	s, err := postgres.Open(ctx, databaseURL, postgres.Options{})
	if err != nil {
		return false, err
	}
	defer s.Close()
	return verifyChains(ctx, s, out)
}

// verifyChains reads each chain in one snapshot, page by page, without holding it in memory.
func verifyChains(ctx context.Context, s store.Store, out io.Writer) (bool, error) {
	intact := true
	err := s.InTx(ctx, func(tx store.Tx) error {
		heads, err := tx.AuditHeads(ctx)
		if err != nil {
			return err
		}
		for _, head := range heads {
			v := audit.NewVerifier(head.Chain)
			var problem *audit.Problem
			var after int64
			for problem == nil {
				page, err := tx.ReadAuditChain(ctx, head.Chain, after, 1000)
				if err != nil {
					return err
				}
				for _, r := range page {
					if problem = v.Add(r); problem != nil {
						break
					}
					after = r.Seq
				}
				if len(page) < 1000 {
					break
				}
			}
			if problem == nil {
				problem = v.Finish(head)
			}
			if problem != nil {
				intact = false
				fmt.Fprintf(out, "chain %s: TAMPERED at record %d: %s\n", head.Chain, problem.Seq, problem.Reason)
				continue
			}
			fmt.Fprintf(out, "chain %s: %d records intact\n", head.Chain, head.Seq)
		}
		return nil
	})
	return intact, err
}
