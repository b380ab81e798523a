package auditlog_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/platform/principal"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/store/storetest"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/auditlog"
)

// An auditor's listing of the trail is a search: filtered by a young person, an actor or a
// time, it may match one record of millions, and is planned for the values it is given.
func TestListingTheTrailIsASearch(t *testing.T) {
	s := &storetest.Marked{Store: memory.New()}
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	srv := auditlog.New(s, func() time.Time { return at })
	ctx := principal.With(context.Background(), principal.Principal{Subject: "auditor", Kind: principal.KindPerson,
		Organisation: "council-a", OrganisationType: "COUNCIL", Roles: []string{"auditor"}})
	if _, err := srv.ListAuditRecords(ctx, &pb.ListAuditRecordsRequest{Actor: "people/someone"}); err != nil {
		t.Fatal(err)
	}
	if want := []storetest.Mark{{Search: true}}; !slices.Equal(s.Marks, want) {
		t.Errorf("marks: %v; want %v (a search)", s.Marks, want)
	}
}
