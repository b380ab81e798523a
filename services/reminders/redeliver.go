package reminders

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/listing"
)

// Redelivery and replay send deliveries again under their own webhook ids, so a receiver
// that has one already drops the repeat. Both go through the store's RequeueDeliveries,
// which the senders (River on PostgreSQL, the in-process dispatcher in memory) pick up like
// any new delivery, and both record in the audit trail which young people the reminders
// sent again are about.

// replayWindow bounds how far back a replay may reach.
const replayWindow = 90 * 24 * time.Hour

// maxReplay is the most deliveries one replay call sends again.
const maxReplay = 500

var errDisabled = errs.New(errs.FailedPrecondition, errs.ReasonInvalidTransition,
	"the endpoint is disabled: enable it (UpdateWebhookEndpoint) before sending to it again")

// WebhookOperations is the purpose the audit trail records for an administrator's sending
// of deliveries again.
const WebhookOperations = "WEBHOOK_OPERATIONS"

func (s *Server) RedeliverWebhookDelivery(ctx context.Context, req *pb.RedeliverWebhookDeliveryRequest) (*pb.WebhookDelivery, error) {
	ids, err := convert.Parse("name", req.GetName(), "organisations", "webhookEndpoints", "deliveries")
	if err != nil {
		return nil, err
	}
	var out domain.Delivery
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		ep, err := endpoint(ctx, tx, "name", "organisations/"+ids[0]+"/webhookEndpoints/"+ids[1])
		if err != nil {
			return err
		}
		d, err := tx.GetDelivery(ctx, ids[2])
		switch {
		case errs.KindOf(err) == errs.NotFound || err == nil && d.EndpointID != ep.ID:
			return errs.New(errs.NotFound, errs.ReasonResourceNotFound, "the endpoint has no such delivery")
		case err != nil:
			return err
		case ep.Disabled:
			return errDisabled
		case d.State != domain.DeliveryFailed:
			return errs.New(errs.FailedPrecondition, errs.ReasonInvalidTransition,
				"only a FAILED delivery can be redelivered; this one is %s", d.State)
		}
		done, err := s.requeue(ctx, tx, store.RequeueQuery{EndpointID: ep.ID, IDs: []string{d.ID},
			States: []domain.DeliveryState{domain.DeliveryFailed}, Limit: 1})
		if err != nil {
			return err
		}
		if len(done) != 1 { // the delivery changed between the read and the update: cannot in one transaction
			return errs.New(errs.Aborted, errs.ReasonConcurrentUpdate, "the delivery changed meanwhile; try again")
		}
		out = done[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return deliveryToProto(out), nil
}

func (s *Server) ReplayWebhookDeliveries(ctx context.Context, req *pb.ReplayWebhookDeliveriesRequest) (*pb.ReplayWebhookDeliveriesResponse, error) {
	now := s.now()
	since := req.GetSince().AsTime()
	switch {
	case since.After(now):
		return nil, errs.Invalid(errs.Violation{Field: "since", Description: "is in the future"})
	case since.Before(now.Add(-replayWindow)):
		return nil, errs.Invalid(errs.Violation{Field: "since", Description: "is more than 90 days ago"})
	}
	query := []string{req.GetName(), since.UTC().Format(time.RFC3339Nano)}
	after, err := listing.AfterID(req.GetPageToken(), query...)
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	if size <= 0 || size > maxReplay {
		size = maxReplay
	}
	var done []domain.Delivery
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		ep, err := s.sendable(ctx, tx, "name", req.GetName())
		if err != nil {
			return err
		}
		done, err = s.requeue(ctx, tx, store.RequeueQuery{EndpointID: ep.ID, Since: since, AfterID: after, Limit: size,
			States: []domain.DeliveryState{domain.DeliveryDelivered, domain.DeliveryFailed}})
		return err
	})
	if err != nil {
		return nil, err
	}
	resp := &pb.ReplayWebhookDeliveriesResponse{}
	for _, d := range done {
		resp.WebhookDeliveries = append(resp.WebhookDeliveries, deliveryToProto(d))
	}
	if len(done) == size { // a full page: there may be more
		resp.NextPageToken = pagetoken.Encode(done[len(done)-1].ID, query...)
	}
	return resp, nil
}

// sendable loads an endpoint the caller manages that may be sent to.
func (s *Server) sendable(ctx context.Context, tx store.Tx, field, name string) (domain.WebhookEndpoint, error) {
	ep, err := endpoint(ctx, tx, field, name)
	if err == nil && ep.Disabled {
		err = errDisabled
	}
	return ep, err
}

// requeue sends the deliveries q selects again and records, one audit record per council,
// the young people whose reminders the caller had sent again.
func (s *Server) requeue(ctx context.Context, tx store.Tx, q store.RequeueQuery) ([]domain.Delivery, error) {
	done, err := tx.RequeueDeliveries(ctx, q, s.now())
	if err != nil {
		return nil, err
	}
	byCouncil := map[string][]string{}
	out := make([]domain.Delivery, len(done))
	for i, x := range done {
		byCouncil[x.CouncilID] = append(byCouncil[x.CouncilID], x.YoungPersonID)
		out[i] = x.Delivery
	}
	for _, council := range slices.Sorted(maps.Keys(byCouncil)) {
		if err := access.Audit(ctx, tx, s.now(), WebhookOperations, council, byCouncil[council]...); err != nil {
			return nil, err
		}
	}
	return out, nil
}
