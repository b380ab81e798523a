package reminders

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/listing"
)

var errEndpointDenied = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"you may manage only your own organisation's webhook endpoints, or there is no such endpoint")

// ownOrganisation parses an organisation name that must be the caller's.
func ownOrganisation(ctx context.Context, field, name string) (string, error) {
	ids, err := convert.Parse(field, name, "organisations")
	if err != nil {
		return "", err
	}
	if ids[0] != access.Caller(ctx).Organisation {
		return "", errEndpointDenied
	}
	return ids[0], nil
}

// endpointToProto never includes a secret; Create and Rotate add the new one.
func endpointToProto(e domain.WebhookEndpoint) *pb.WebhookEndpoint {
	out := &pb.WebhookEndpoint{Name: "organisations/" + e.OrganisationID + "/webhookEndpoints/" + e.ID, Url: e.URL,
		Description: e.Description, Disabled: e.Disabled, DisabledReason: e.DisabledReason,
		FailedDeliveries: int32(e.FailedDeliveries), CreateTime: timestamppb.New(e.CreateTime),
		UpdateTime: timestamppb.New(e.UpdateTime), Etag: convert.Etag(e.Revision)}
	if len(e.Secrets) > 1 && !e.Secrets[1].Expires.IsZero() {
		out.PreviousSecretExpireTime = timestamppb.New(e.Secrets[1].Expires)
	}
	return out
}

func (s *Server) CreateWebhookEndpoint(ctx context.Context, req *pb.CreateWebhookEndpointRequest) (*pb.WebhookEndpoint, error) {
	org, err := ownOrganisation(ctx, "parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	in := req.GetWebhookEndpoint()
	if err := s.hooks.CheckURL(ctx, in.GetUrl()); err != nil {
		return nil, errs.Invalid(errs.Violation{Field: "webhook_endpoint.url", Description: err.Error()})
	}
	now := s.now()
	e := domain.WebhookEndpoint{ID: uuid.NewString(), OrganisationID: org, URL: in.GetUrl(), Description: in.GetDescription(),
		Disabled: in.GetDisabled(), Secrets: []domain.WebhookSecret{{Secret: s.hooks.NewSecret(), CreateTime: now}},
		CreateTime: now, UpdateTime: now, Revision: 1}
	if e.Disabled {
		e.DisabledReason = "disabled by " + access.Caller(ctx).Subject
	}
	var out domain.WebhookEndpoint
	err = s.store.InTx(ctx, func(tx store.Tx) (err error) {
		out, err = tx.CreateWebhookEndpoint(ctx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	resp := endpointToProto(out)
	resp.Secret = e.Secrets[0].Secret
	return resp, nil
}

// endpoint loads an endpoint of the caller's organisation.
func endpoint(ctx context.Context, tx store.Tx, field, name string) (domain.WebhookEndpoint, error) {
	ids, err := convert.Parse(field, name, "organisations", "webhookEndpoints")
	if err != nil {
		return domain.WebhookEndpoint{}, err
	}
	e, err := tx.GetWebhookEndpoint(ctx, ids[1])
	if errs.KindOf(err) == errs.NotFound || err == nil && (e.OrganisationID != ids[0] || ids[0] != access.Caller(ctx).Organisation) {
		return e, errEndpointDenied
	}
	return e, err
}

func (s *Server) GetWebhookEndpoint(ctx context.Context, req *pb.GetWebhookEndpointRequest) (*pb.WebhookEndpoint, error) {
	var out domain.WebhookEndpoint
	err := s.store.InTx(ctx, func(tx store.Tx) (err error) {
		out, err = endpoint(ctx, tx, "name", req.GetName())
		return err
	})
	if err != nil {
		return nil, err
	}
	return endpointToProto(out), nil
}

func (s *Server) ListWebhookEndpoints(ctx context.Context, req *pb.ListWebhookEndpointsRequest) (*pb.ListWebhookEndpointsResponse, error) {
	org, err := ownOrganisation(ctx, "parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	after, err := listing.AfterID(req.GetPageToken(), req.GetParent())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var page []domain.WebhookEndpoint
	err = s.store.InTx(ctx, func(tx store.Tx) (err error) {
		page, err = tx.ListWebhookEndpoints(ctx, org, after, size+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next := listing.Next(page, size, func(e domain.WebhookEndpoint) string { return e.ID }, req.GetParent())
	resp := &pb.ListWebhookEndpointsResponse{NextPageToken: next}
	for _, e := range page {
		resp.WebhookEndpoints = append(resp.WebhookEndpoints, endpointToProto(e))
	}
	return resp, nil
}

func (s *Server) UpdateWebhookEndpoint(ctx context.Context, req *pb.UpdateWebhookEndpointRequest) (*pb.WebhookEndpoint, error) {
	in := req.GetWebhookEndpoint()
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		paths = []string{"url", "description", "disabled"}
	}
	if slices.Contains(paths, "url") { // resolving a name takes time: not inside a transaction
		if err := s.hooks.CheckURL(ctx, in.GetUrl()); err != nil {
			return nil, errs.Invalid(errs.Violation{Field: "webhook_endpoint.url", Description: err.Error()})
		}
	}
	var out domain.WebhookEndpoint
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := endpoint(ctx, tx, "webhook_endpoint.name", in.GetName())
		if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		next := cur
		for _, p := range paths {
			switch p {
			case "url":
				next.URL = in.GetUrl()
			case "description":
				next.Description = in.GetDescription()
			case "disabled":
				next.Disabled, next.DisabledReason = in.GetDisabled(), ""
				if next.Disabled {
					next.DisabledReason = "disabled by " + access.Caller(ctx).Subject
				}
			case "name", "etag", "disabled_reason", "secret", "previous_secret_expire_time", "failed_deliveries",
				"create_time", "update_time": // identity and output only: REST clients echo them back
			default:
				return errs.Invalid(errs.Violation{Field: "update_mask", Description: "may name url, description and disabled only"})
			}
		}
		next.UpdateTime = s.now()
		out, err = tx.UpdateWebhookEndpoint(ctx, next, cur.Revision)
		return err
	})
	if err != nil {
		return nil, err
	}
	return endpointToProto(out), nil
}

// defaultGrace is how long a rotated-out secret keeps signing unless the caller says.
const defaultGrace = 24 * time.Hour

func (s *Server) RotateWebhookEndpointSecret(ctx context.Context, req *pb.RotateWebhookEndpointSecretRequest) (*pb.WebhookEndpoint, error) {
	grace := defaultGrace
	if h := req.GetGracePeriodHours(); h > 0 {
		grace = time.Duration(h) * time.Hour
	}
	secret := s.hooks.NewSecret()
	var out domain.WebhookEndpoint
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := endpoint(ctx, tx, "name", req.GetName())
		if err != nil {
			return err
		}
		now := s.now()
		// The newest secret first, the one it replaces signing until the grace ends; older
		// ones are dropped, so there are never more than two.
		previous := cur.Secrets[0]
		previous.Expires = now.Add(grace)
		next := cur
		next.Secrets = []domain.WebhookSecret{{Secret: secret, CreateTime: now}, previous}
		next.UpdateTime = now
		out, err = tx.UpdateWebhookEndpoint(ctx, next, cur.Revision)
		return err
	})
	if err != nil {
		return nil, err
	}
	resp := endpointToProto(out)
	resp.Secret = secret
	return resp, nil
}

var deliveryStates = map[domain.DeliveryState]pb.WebhookDelivery_State{domain.DeliveryPending: pb.WebhookDelivery_PENDING,
	domain.DeliveryDelivered: pb.WebhookDelivery_DELIVERED, domain.DeliveryFailed: pb.WebhookDelivery_FAILED,
	domain.DeliveryCancelled: pb.WebhookDelivery_CANCELLED}

func deliveryToProto(d domain.Delivery) *pb.WebhookDelivery {
	out := &pb.WebhookDelivery{
		Name:     "organisations/" + d.OrganisationID + "/webhookEndpoints/" + d.EndpointID + "/deliveries/" + d.ID,
		Reminder: "reminders/" + d.ReminderID, WebhookId: d.WebhookID, State: deliveryStates[d.State],
		Attempts: int32(d.Attempts), LastError: d.LastError, CreateTime: timestamppb.New(d.CreateTime)}
	if d.State == domain.DeliveryPending {
		out.NextAttemptTime = timestamppb.New(d.NextAttemptTime)
	}
	if !d.DeliverTime.IsZero() {
		out.DeliverTime = timestamppb.New(d.DeliverTime)
	}
	return out
}

func (s *Server) ListWebhookDeliveries(ctx context.Context, req *pb.ListWebhookDeliveriesRequest) (*pb.ListWebhookDeliveriesResponse, error) {
	q := store.DeliveryQuery{Limit: listing.PageSize(req.GetPageSize()) + 1}
	org, all := strings.CutSuffix(req.GetParent(), "/webhookEndpoints/-")
	query := []string{req.GetParent()}
	for _, st := range req.GetStates() {
		q.States = append(q.States, domain.DeliveryState(st.String()))
		query = append(query, st.String())
	}
	var err error
	if q.BeforeID, err = listing.AfterID(req.GetPageToken(), query...); err != nil {
		return nil, err
	}
	var page []domain.Delivery
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if all {
			if q.OrganisationID, err = ownOrganisation(ctx, "parent", org); err != nil {
				return err
			}
		} else {
			e, err := endpoint(ctx, tx, "parent", req.GetParent())
			if err != nil {
				return err
			}
			q.OrganisationID, q.EndpointID = e.OrganisationID, e.ID
		}
		page, err = tx.ListDeliveries(ctx, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next := listing.Next(page, q.Limit-1, func(d domain.Delivery) string { return d.ID }, query...)
	resp := &pb.ListWebhookDeliveriesResponse{NextPageToken: next}
	for _, d := range page {
		resp.WebhookDeliveries = append(resp.WebhookDeliveries, deliveryToProto(d))
	}
	return resp, nil
}
