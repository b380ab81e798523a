package store

import (
	"context"

	"github.com/carepath/carepath/internal/domain/civil"
)

// LeaplingRules reads councils' leap-day rules within one transaction, each council once:
// what anything that works out the ages of many young people needs.
type LeaplingRules struct {
	settings Settings
	rules    map[string]civil.LeaplingRule
}

// NewLeaplingRules reads rules through s (a transaction).
func NewLeaplingRules(s Settings) *LeaplingRules {
	return &LeaplingRules{settings: s, rules: map[string]civil.LeaplingRule{}}
}

// Of returns the council's rule.
func (r *LeaplingRules) Of(ctx context.Context, councilID string) (civil.LeaplingRule, error) {
	if rule, ok := r.rules[councilID]; ok {
		return rule, nil
	}
	rule, err := r.settings.LeaplingRule(ctx, councilID)
	if err != nil {
		return 0, err
	}
	r.rules[councilID] = rule
	return rule, nil
}
