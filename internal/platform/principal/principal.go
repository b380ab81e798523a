// Package principal carries the authenticated caller of a request in its context.
package principal

import "context"

// Principal is who is making a request.
type Principal struct {
	// Subject identifies the caller (a person id, or a partner system's client id).
	Subject string
}

// Anonymous is the actor recorded for requests with no authenticated caller.
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
