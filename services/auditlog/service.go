// Package auditlog implements carepath.v1.AuditService: auditors search their council's
// audit trail and see how far its sealing has got. Their searches are audited too.
package auditlog

import (
	"context"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements AuditService.
type Server struct {
	pb.UnimplementedAuditServiceServer
	store store.Store
	now   func() time.Time
}

// New returns the service.
func New(s store.Store, now func() time.Time) *Server { return &Server{store: s, now: now} }

func orgName(id string) string {
	if id == "" {
		return ""
	}
	return "organisations/" + id
}

// recordToProto shows a record to an auditor of org. A refused attempt by the auditor's own
// organisation on another council's young person shows no council: that the young person is
// known there is that council's to know.
func recordToProto(e store.AuditEntry, org string) *pb.AuditRecord {
	r := e.Record
	out := &pb.AuditRecord{
		Name:          "auditChains/" + r.Chain + "/records/" + strconv.FormatInt(e.ID, 10),
		Time:          timestamppb.New(r.Time),
		Actor:         convert.ActorName(r.Actor),
		Organisation:  orgName(r.Organisation),
		Purpose:       r.Purpose,
		Action:        r.Action,
		Council:       orgName(r.Council),
		RequestId:     r.RequestID,
		ClientAddress: r.ClientAddress,
		Outcome:       r.Outcome,
		Reason:        r.Reason,
		Sealed:        r.Sealed(),
		Sequence:      r.Seq,
	}
	if r.Outcome != audit.OutcomeOK && r.Council != org {
		out.Council = ""
	}
	if !e.SealTime.IsZero() {
		out.SealTime = timestamppb.New(e.SealTime)
	}
	for _, role := range r.Roles {
		out.Roles = append(out.Roles, pb.Person_Role(pb.Person_Role_value[role]))
	}
	for _, id := range r.YoungPeople {
		out.YoungPeople = append(out.YoungPeople, "youngPeople/"+id)
	}
	return out
}

func (s *Server) ListAuditRecords(ctx context.Context, req *pb.ListAuditRecordsRequest) (*pb.ListAuditRecordsResponse, error) {
	q := store.AuditQuery{
		Council:       access.Caller(ctx).Organisation,
		YoungPersonID: strings.TrimPrefix(req.GetYoungPerson(), "youngPeople/"),
		Actor:         strings.TrimPrefix(req.GetActor(), "people/"),
		Limit:         listing.PageSize(req.GetPageSize()) + 1,
	}
	if req.GetStartTime() != nil {
		q.Start = req.GetStartTime().AsTime()
	}
	if req.GetEndTime() != nil {
		q.End = req.GetEndTime().AsTime()
	}
	fingerprint := strings.Join([]string{req.GetYoungPerson(), req.GetActor(), q.Start.String(), q.End.String()}, "|")
	after, err := pagetoken.Decode(req.GetPageToken(), fingerprint)
	if err != nil {
		return nil, err
	}
	if after != "" {
		if q.BeforeID, err = strconv.ParseInt(after, 10, 64); err != nil {
			return nil, pagetoken.Invalid()
		}
	}
	var page []store.AuditEntry
	ctx = store.ForSearch(ctx) // a filter may match one record of millions
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		if page, err = tx.ListAuditRecords(ctx, q); err != nil {
			return err
		}
		// The trail is data about young people: reading it is recorded, naming no one.
		return access.AuditSummary(ctx, tx, s.now(), access.AuditPurpose, q.Council)
	})
	if err != nil {
		return nil, err
	}
	resp := &pb.ListAuditRecordsResponse{}
	page, resp.NextPageToken = listing.Next(page, q.Limit-1,
		func(e store.AuditEntry) string { return strconv.FormatInt(e.ID, 10) }, fingerprint)
	for _, e := range page {
		resp.AuditRecords = append(resp.AuditRecords, recordToProto(e, q.Council))
	}
	return resp, nil
}

func (s *Server) GetAuditStatus(ctx context.Context, req *pb.GetAuditStatusRequest) (*pb.AuditStatus, error) {
	org := strings.TrimSuffix(strings.TrimPrefix(req.GetName(), "organisations/"), "/auditStatus")
	if org != access.Caller(ctx).Organisation {
		return nil, errs.New(errs.PermissionDenied, errs.ReasonAccessDenied, "you may see your own organisation's audit status only")
	}
	var backlog store.AuditBacklog
	var heads []audit.Head
	err := s.store.InRead(ctx, func(tx store.Tx) (err error) {
		if backlog, err = tx.AuditBacklog(ctx, org); err != nil {
			return err
		}
		heads, err = tx.AuditHeads(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &pb.AuditStatus{Name: req.GetName(), UnsealedRecords: backlog.Unsealed,
		SealingLag: durationpb.New(backlog.Lag(s.now()))}
	if !backlog.Oldest.IsZero() {
		out.OldestUnsealedTime = timestamppb.New(backlog.Oldest)
	}
	for _, h := range heads {
		if h.Chain == org {
			out.SealedRecords = h.Seq
			if !h.Time.IsZero() {
				out.LastSealTime = timestamppb.New(h.Time)
			}
		}
	}
	return out, nil
}
