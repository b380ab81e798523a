package auditlog_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/platform/principal"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/auditlog"
)

// searches is a store that notes whether each read was marked as a search.
type searches struct {
	store.Store
	marked []bool
}

func (s *searches) InRead(ctx context.Context, fn func(store.Tx) error) error {
	s.marked = append(s.marked, store.Search(ctx))
	return s.Store.InRead(ctx, fn)
}

// An auditor's listing of the trail is a search: filtered by a young person, an actor or a
// time, it may match one record of millions, and is planned for the values it is given.
func TestListingTheTrailIsASearch(t *testing.T) {
	s := &searches{Store: memory.New()}
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	srv := auditlog.New(s, func() time.Time { return at })
	ctx := principal.With(context.Background(), principal.Principal{Subject: "auditor", Kind: principal.KindPerson,
		Organisation: "council-a", OrganisationType: "COUNCIL", Roles: []string{"auditor"}})
	if _, err := srv.ListAuditRecords(ctx, &pb.ListAuditRecordsRequest{Actor: "people/someone"}); err != nil {
		t.Fatal(err)
	}
	if want := []bool{true}; !slices.Equal(s.marked, want) {
		t.Errorf("reads marked as searches: %v; want %v", s.marked, want)
	}
}
