// Package idem makes creates idempotent (AIP-155): a create that carries a request_id
// claims it with a fingerprint of the request, and a retry with the same id gets what the
// first made instead of a second resource.
package idem

import (
	"context"
	"crypto/sha256"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// Hash fingerprints a create request. The caller clears first what does not make it a
// different request: the request_id itself and fields the server sets.
func Hash(m proto.Message) []byte {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	sum := sha256.Sum256(b)
	return sum[:]
}

// ErrReused refuses a request_id already used for a different request.
var ErrReused = &errs.Error{
	Kind:       errs.InvalidArgument,
	Reason:     errs.ReasonRequestIDReused,
	Message:    "this request_id was already used for a different request; use a new request_id",
	Violations: []errs.Violation{{Field: "request_id", Description: "was used before with a different request"}},
}

// Claim claims requestID (in scope, the method) for the resource newID is about to make,
// within tx. It returns "" when the create should go ahead (no request_id, or first use)
// and the id of what the first request made when this is a retry of it; a different
// request with the same id gets ErrReused.
func Claim(ctx context.Context, tx store.Requests, scope, requestID string, hash []byte, newID string, now time.Time) (string, error) {
	if requestID == "" {
		return "", nil
	}
	prior, claimed, err := tx.ClaimRequest(ctx, store.Request{Scope: scope, ID: requestID, Hash: hash, ResourceID: newID,
		CreateTime: now})
	switch {
	case err != nil || claimed:
		return "", err
	case string(prior.Hash) != string(hash):
		return "", ErrReused
	}
	return prior.ResourceID, nil
}
