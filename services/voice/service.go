// Package voice implements carepath.v1.VoiceService: the young person's own voice in their
// pathway. Their views of each area of their plan and their goals are what the plan's
// review must consider; their answers to the self-assessment checklists feed the readiness
// facts they can honestly confirm themself; the council's local offer tells them what they
// are entitled to; and from 21 a former relevant young person can ask for a personal
// adviser's help again.
//
// Everything about a young person goes through access.YoungPerson (or LockYoungPerson for
// a change) and is audited like any other read or write of their record: today that lets
// their personal adviser and team manager in, and the young person themself once they can
// sign in. The local offer names no one; it is for the council's staff and young people,
// and its administrators write it.
package voice

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// Server implements VoiceService.
type Server struct {
	pb.UnimplementedVoiceServiceServer
	store   store.Store
	planner *planner.Planner
	now     func() time.Time
}

// New returns the service.
func New(s store.Store, p *planner.Planner, now func() time.Time) *Server {
	return &Server{store: s, planner: p, now: now}
}

const ypPrefix = "youngPeople/"

// read runs fn on the young person the caller may see, in a read transaction, and audits
// the read.
func (s *Server) read(ctx context.Context, id string, fn func(tx store.Tx, yp domain.YoungPerson) error) error {
	return s.store.InRead(ctx, func(tx store.Tx) error {
		yp, err := access.YoungPerson(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(tx, yp); err != nil {
			return err
		}
		return access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID)
	})
}

// write runs fn on the young person the caller may see, held for the transaction, and
// audits the write.
func (s *Server) write(ctx context.Context, id string, fn func(tx store.Tx, yp domain.YoungPerson) error) error {
	return s.store.InTx(ctx, func(tx store.Tx) error {
		yp, err := access.LockYoungPerson(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(tx, yp); err != nil {
			return err
		}
		return access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID)
	})
}

// author is who is writing: the caller.
func author(ctx context.Context) string { return access.Caller(ctx).Subject }

// areaID is an area as it appears in a name: "independent-living-skills".
func areaID(a catalogue.Area) string { return strings.ReplaceAll(strings.ToLower(string(a)), "_", "-") }

func areaOf(id string) (catalogue.Area, bool) {
	a := catalogue.Area(strings.ToUpper(strings.ReplaceAll(id, "-", "_")))
	return a, slices.Contains(catalogue.Areas, a) && areaID(a) == id
}

func areaToProto(a catalogue.Area) pb.MilestoneDefinition_Area {
	return pb.MilestoneDefinition_Area(pb.MilestoneDefinition_Area_value[string(a)])
}

func areaFromProto(a pb.MilestoneDefinition_Area) catalogue.Area {
	if a == pb.MilestoneDefinition_AREA_UNSPECIFIED {
		return ""
	}
	return catalogue.Area(a.String())
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// etagOf is an etag for a resource that has no revision of its own: a hash of its parts.
func etagOf(parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	return fmt.Sprintf("%016x", h.Sum64())
}
