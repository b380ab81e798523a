package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
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

// Setup registers a council and its first administrator in the database (`carepath setup`):
// councils are set up with the deployment, not over the API.
func Setup(ctx context.Context, databaseURL, councilID, councilName, adminID, adminName string) error {
	s, err := postgres.Open(ctx, databaseURL, postgres.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Ready(ctx); err != nil {
		return err
	}
	now := time.Now()
	return s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.CreateOrganisation(ctx, domain.Organisation{ID: councilID, DisplayName: councilName,
			Type: domain.Council, CreateTime: now, UpdateTime: now}); err != nil {
			return fmt.Errorf("council %s: %w", councilID, err)
		}
		_, err := tx.CreatePerson(ctx, domain.Person{ID: adminID, DisplayName: adminName, OrganisationID: councilID,
			Roles: []domain.Role{domain.Administrator}, CreateTime: now, UpdateTime: now})
		return err
	})
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
