package voice

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"go.einride.tech/aip/fieldmask"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/idem"
	"github.com/carepath/carepath/services/internal/listing"
)

const orgPrefix = "organisations/"

var (
	errNotAdmin = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
		"only the council's administrators publish and change its local offer")
	errNotCouncil = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
		"a council's local offer is for its staff and its young people")
)

func councilAdmin(ctx context.Context, council string) error {
	if c := access.Caller(ctx); c.Organisation == council && c.Has(access.Admin) {
		return nil
	}
	return errNotAdmin
}

// ofCouncil lets in the council's own staff and young people. A young person signs in
// under their council, so the organisation of the principal is theirs.
func ofCouncil(ctx context.Context, council string) error {
	if c := access.Caller(ctx); c.Organisation == council && c.Has(access.PA, access.Manager, access.Admin, access.YoungPersonRole) {
		return nil
	}
	return errNotCouncil
}

func entryToProto(e domain.LocalOfferEntry) *pb.LocalOfferEntry {
	return &pb.LocalOfferEntry{Name: orgPrefix + e.CouncilID + "/localOfferEntries/" + e.ID, Title: e.Title, Body: e.Body,
		Area: areaToProto(e.Area), FromAge: int32(e.FromAge), ToAge: int32(e.ToAge), Link: e.Link, UpdateTime: timestamp(e.UpdateTime),
		Etag: convert.Etag(e.Revision)}
}

func fromEntry(in *pb.LocalOfferEntry, e domain.LocalOfferEntry) domain.LocalOfferEntry {
	e.Title, e.Body, e.Area, e.Link = in.GetTitle(), in.GetBody(), areaFromProto(in.GetArea()), in.GetLink()
	e.FromAge, e.ToAge = int(in.GetFromAge()), int(in.GetToAge())
	return e
}

// checkEntry refuses an entry the protos cannot: missing text, no area, ages out of order.
func checkEntry(e domain.LocalOfferEntry) error {
	var v errs.Violations
	if strings.TrimSpace(e.Title) == "" {
		v.Add("local_offer_entry.title", "is required")
	}
	if strings.TrimSpace(e.Body) == "" {
		v.Add("local_offer_entry.body", "is required")
	}
	if e.Area == "" {
		v.Add("local_offer_entry.area", "is required")
	}
	if e.FromAge < 13 || e.ToAge > 25 || e.FromAge > e.ToAge {
		v.Add("local_offer_entry.to_age", "the ages must run from from_age to to_age, within 13 to 25")
	}
	return v.Err()
}

func (s *Server) CreateLocalOfferEntry(ctx context.Context, req *pb.CreateLocalOfferEntryRequest) (*pb.LocalOfferEntry, error) {
	council := strings.TrimPrefix(req.GetParent(), orgPrefix)
	if err := councilAdmin(ctx, council); err != nil {
		return nil, err
	}
	now := s.now()
	e := fromEntry(req.GetLocalOfferEntry(), domain.LocalOfferEntry{ID: uuid.Must(uuid.NewV7()).String(), CouncilID: council,
		CreateTime: now, UpdateTime: now})
	if err := checkEntry(e); err != nil {
		return nil, err
	}
	hash := idem.Hash(&pb.CreateLocalOfferEntryRequest{Parent: req.GetParent(), LocalOfferEntry: req.GetLocalOfferEntry()})
	var out domain.LocalOfferEntry
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		prior, err := idem.Claim(ctx, tx, "carepath.v1.VoiceService/CreateLocalOfferEntry/"+council, req.GetRequestId(), hash, e.ID, now)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = tx.GetLocalOfferEntry(ctx, council, prior)
			return err
		}
		out, err = tx.CreateLocalOfferEntry(ctx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return entryToProto(out), nil
}

func (s *Server) ListLocalOfferEntries(ctx context.Context, req *pb.ListLocalOfferEntriesRequest) (*pb.ListLocalOfferEntriesResponse, error) {
	council := strings.TrimPrefix(req.GetParent(), orgPrefix)
	if err := ofCouncil(ctx, council); err != nil {
		return nil, err
	}
	query := []string{req.GetParent(), "age", strconv.Itoa(int(req.GetAge()))}
	after, err := listing.AfterID(req.GetPageToken(), query...)
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var entries []domain.LocalOfferEntry
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		entries, err = tx.ListLocalOfferEntries(ctx, store.LocalOfferQuery{CouncilID: council, Age: int(req.GetAge()), AfterID: after, Limit: size + 1})
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next := listing.Next(entries, size, func(e domain.LocalOfferEntry) string { return e.ID }, query...)
	out := &pb.ListLocalOfferEntriesResponse{NextPageToken: next}
	for _, e := range page {
		out.LocalOfferEntries = append(out.LocalOfferEntries, entryToProto(e))
	}
	return out, nil
}

func (s *Server) UpdateLocalOfferEntry(ctx context.Context, req *pb.UpdateLocalOfferEntryRequest) (*pb.LocalOfferEntry, error) {
	in := req.GetLocalOfferEntry()
	ids, err := convert.Parse("local_offer_entry.name", in.GetName(), "organisations", "localOfferEntries")
	if err != nil {
		return nil, err
	}
	if err := councilAdmin(ctx, ids[0]); err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	var out domain.LocalOfferEntry
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetLocalOfferEntry(ctx, ids[0], ids[1])
		if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		merged := entryToProto(cur)
		mask, err := listing.Changes("local_offer_entry", req.GetUpdateMask(), in, merged)
		if err != nil {
			return err
		}
		fieldmask.Update(mask, merged, in)
		next := fromEntry(merged, cur)
		next.UpdateTime = s.now()
		if err := checkEntry(next); err != nil {
			return err
		}
		out, err = tx.UpdateLocalOfferEntry(ctx, next, cur.Revision)
		return err
	})
	if err != nil {
		return nil, err
	}
	return entryToProto(out), nil
}

func (s *Server) DeleteLocalOfferEntry(ctx context.Context, req *pb.DeleteLocalOfferEntryRequest) (*emptypb.Empty, error) {
	ids, err := convert.Parse("name", req.GetName(), "organisations", "localOfferEntries")
	if err != nil {
		return nil, err
	}
	if err := councilAdmin(ctx, ids[0]); err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(req.GetEtag())
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error { return tx.DeleteLocalOfferEntry(ctx, ids[0], ids[1], ifRevision) })
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
