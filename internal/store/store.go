// Package store is the storage interface of carepath. Two backends implement it:
// store/postgres (production) and store/memory (the zero-setup default); the conformance
// suite in store/storetest holds them to the same behaviour.
//
// All access happens in a transaction (Store.InTx), so that a request's reads, writes and,
// later, its audit records and queued jobs commit together or not at all. Failures are
// *errs.Error values: NotFound, AlreadyExists, Aborted (stale revision or conflict),
// Unavailable (database unreachable), never driver errors.
package store

import (
	"context"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/query"
)

// Store opens transactions and reports readiness.
type Store interface {
	// InTx runs fn in a transaction that commits if fn returns nil and rolls back otherwise.
	// fn may be run again when the transaction conflicts with another, so it must not have
	// effects outside the transaction.
	InTx(ctx context.Context, fn func(Tx) error) error
	// Ready returns nil when the store can serve requests: reachable and fully migrated.
	Ready(ctx context.Context) error
	// Close releases the store's resources.
	Close()
}

// Tx is what a transaction can do.
type Tx interface {
	YoungPeople
	Requests
}

// YoungPeople stores young people.
type YoungPeople interface {
	GetYoungPerson(ctx context.Context, id string) (domain.YoungPerson, error)
	// ListYoungPeople returns up to q.Limit young people matching q.Filter whose ids sort
	// after q.AfterID, in id order.
	ListYoungPeople(ctx context.Context, q YoungPeopleQuery) ([]domain.YoungPerson, error)
	// CreateYoungPerson stores a new young person with Revision 1. It fails with
	// AlreadyExists when the council already uses the case reference.
	CreateYoungPerson(ctx context.Context, yp domain.YoungPerson) (domain.YoungPerson, error)
	// UpdateYoungPerson replaces the stored young person yp.ID and increments its revision.
	// When ifRevision is not zero and differs from the stored revision it fails with
	// Aborted (ETAG_MISMATCH) and changes nothing.
	UpdateYoungPerson(ctx context.Context, yp domain.YoungPerson, ifRevision int64) (domain.YoungPerson, error)
	// DeleteYoungPerson deletes young person id, with ifRevision as for UpdateYoungPerson.
	DeleteYoungPerson(ctx context.Context, id string, ifRevision int64) error
}

// YoungPeopleQuery selects a page of young people.
type YoungPeopleQuery struct {
	Filter  query.Expr
	AfterID string
	Limit   int
}

// YoungPersonFields are the fields a YoungPeopleQuery filter may use, with their types.
var YoungPersonFields = map[string]query.Type{
	"date_of_birth":                      query.Date,
	"council":                            query.String,
	"unaccompanied_asylum_seeking_child": query.Bool,
	"ehc_plan":                           query.Bool,
	"disability":                         query.Bool,
}

// Requests remembers the client request ids of completed creates (AIP-155), so that a
// retried create returns what the first one made instead of making another.
type Requests interface {
	// ClaimRequest records r unless a request with the same Scope and ID exists, in which
	// case it returns that request and claimed is false. Concurrent claims of one id are
	// serialised: the second waits for the first transaction to finish.
	ClaimRequest(ctx context.Context, r Request) (existing Request, claimed bool, err error)
}

// Request is a client request id and what it produced.
type Request struct {
	// Scope separates ids of different methods (and, with authentication, callers).
	Scope string
	ID    string
	// Hash fingerprints the request body, to refuse an id reused for a different request.
	Hash []byte
	// ResourceID is the id of the resource the request created.
	ResourceID string
	CreateTime time.Time
}
