// Package principal carries the authenticated caller of a request in its context, as the
// access layer resolved it: who they are, their organisation and their roles.
package principal

import (
	"context"
	"slices"
)

// Kinds of principal.
const (
	KindPerson = "person"
	// KindSystem is an organisation's system authenticated by its client certificate.
	KindSystem = "system"
)

// Principal is who is making a request.
type Principal struct {
	// Subject identifies the caller: a person id, or "system:<organisation>".
	Subject          string
	Kind             string
	Organisation     string
	OrganisationType string
	Roles            []string
	Team             string
	// TeamAdvisers are, for a team manager, the personal advisers of their team.
	TeamAdvisers []string
	// YoungPerson is, for a young person's own account, the id of their record: the one
	// young person they may see.
	YoungPerson string
	// ClientAddress is the caller's network address as the server saw it.
	ClientAddress string
}

// Has reports whether the principal has one of the roles.
func (p Principal) Has(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// Anonymous is the actor recorded for work with no authenticated caller.
const Anonymous = "anonymous"

type ctxKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the caller in ctx, if any.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// Actor names the caller for records of who did what.
func Actor(ctx context.Context) string {
	if p, ok := From(ctx); ok && p.Subject != "" {
		return p.Subject
	}
	return Anonymous
}
