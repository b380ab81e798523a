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
	"github.com/carepath/carepath/internal/platform/webhook"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/idem"
	"github.com/carepath/carepath/services/internal/listing"
)

var errEndpointDenied = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"you may manage only the webhook endpoints of an organisation you manage, or there is no such endpoint")

// managedOrganisation parses the name of an organisation the caller manages
// (access.ManagesOrganisation): a partner's own administrators, or the council that
// stewards it, manage its endpoints.
func managedOrganisation(ctx context.Context, tx store.Tx, field, name string) (string, error) {
	ids, err := convert.Parse(field, name, "organisations")
	if err != nil {
		return "", err
	}
	org, err := tx.GetOrganisation(ctx, ids[0])
	if err == store.ErrOrganisationNotFound {
		return "", errEndpointDenied
	} else if err != nil {
		return "", err
	}
	ok, err := access.ManagesOrganisation(ctx, tx, org)
	if err == nil && !ok {
		err = errEndpointDenied
	}
	return org.ID, err
}

// endpointToProto never includes a secret; Create and Rotate add a new HMAC one. Ed25519
// public keys are not secret and always shown.
func endpointToProto(e domain.WebhookEndpoint) *pb.WebhookEndpoint {
	out := &pb.WebhookEndpoint{Name: "organisations/" + e.OrganisationID + "/webhookEndpoints/" + e.ID, Url: e.URL,
		Description: e.Description, Disabled: e.Disabled, DisabledReason: e.DisabledReason,
		FailedDeliveries: int32(e.FailedDeliveries), CreateTime: timestamppb.New(e.CreateTime),
		UpdateTime: timestamppb.New(e.UpdateTime), Etag: convert.Etag(e.Revision),
		SigningAlgorithm: pb.WebhookEndpoint_HMAC_SHA256}
	if len(e.Secrets) > 0 {
		if pub, ok := webhook.PublicKey(e.Secrets[0].Secret); ok {
			out.SigningAlgorithm, out.PublicKey = pb.WebhookEndpoint_ED25519, pub
		}
	}
	if len(e.Secrets) > 1 && !e.Secrets[1].Expires.IsZero() {
		out.PreviousSecretExpireTime = timestamppb.New(e.Secrets[1].Expires)
		out.PreviousPublicKey, _ = webhook.PublicKey(e.Secrets[1].Secret)
	}
	return out
}

// newKey makes a signing key of the algorithm: an Ed25519 key, or an HMAC secret.
func (s *Server) newKey(alg pb.WebhookEndpoint_SigningAlgorithm) string {
	if alg == pb.WebhookEndpoint_ED25519 {
		return s.hooks.NewSigningKey()
	}
	return s.hooks.NewSecret()
}

// withSecret is the endpoint as Create and Rotate answer: with its new HMAC secret, shown
// this once; an Ed25519 signing key never leaves carepath.
func withSecret(e domain.WebhookEndpoint) *pb.WebhookEndpoint {
	out := endpointToProto(e)
	if !webhook.IsSigningKey(e.Secrets[0].Secret) {
		out.Secret = e.Secrets[0].Secret
	}
	return out
}

// A new endpoint also gets the organisation's open reminders raised before it existed, so
// that a case system connected late misses nothing; a retried create (same request_id)
// answers with the endpoint and secret the first made.
func (s *Server) CreateWebhookEndpoint(ctx context.Context, req *pb.CreateWebhookEndpointRequest) (*pb.WebhookEndpoint, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "organisations")
	if err != nil {
		return nil, err
	}
	// Who may is checked before the URL is resolved (which takes time, outside a
	// transaction), and again when the endpoint is stored.
	mayManage := func(tx store.Tx) error {
		_, err := managedOrganisation(ctx, tx, "parent", req.GetParent())
		return err
	}
	if err := s.store.InTx(ctx, mayManage); err != nil {
		return nil, err
	}
	in := req.GetWebhookEndpoint()
	if err := s.hooks.CheckURL(ctx, in.GetUrl()); err != nil {
		return nil, errs.Invalid(errs.Violation{Field: "webhook_endpoint.url", Description: err.Error()})
	}
	now := s.now()
	e := domain.WebhookEndpoint{ID: uuid.NewString(), OrganisationID: ids[0], URL: in.GetUrl(), Description: in.GetDescription(),
		Disabled: in.GetDisabled(), Secrets: []domain.WebhookSecret{{Secret: s.newKey(in.GetSigningAlgorithm()), CreateTime: now}},
		CreateTime: now, UpdateTime: now, Revision: 1}
	if e.Disabled {
		e.DisabledReason = "disabled by " + access.Caller(ctx).Subject
	}
	hash := idem.Hash(&pb.CreateWebhookEndpointRequest{Parent: req.GetParent(), WebhookEndpoint: in})
	var out domain.WebhookEndpoint
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if err := mayManage(tx); err != nil {
			return err
		}
		prior, err := idem.Claim(ctx, tx, "carepath.v1.ReminderService/CreateWebhookEndpoint/"+e.OrganisationID,
			req.GetRequestId(), hash, e.ID, now)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = tx.GetWebhookEndpoint(ctx, prior)
			return err
		}
		if out, err = tx.CreateWebhookEndpoint(ctx, e); err != nil {
			return err
		}
		if out.Disabled {
			return nil
		}
		return deliverOpenReminders(ctx, tx, out, now)
	})
	if err != nil {
		return nil, err
	}
	return withSecret(out), nil
}

// deliverOpenReminders gives a new endpoint a delivery of every open reminder to its
// organisation or one of its people, in batches. Partners' deliveries are checked at send
// time like any other: a young person no longer shared is not sent.
func deliverOpenReminders(ctx context.Context, tx store.Tx, ep domain.WebhookEndpoint, now time.Time) error {
	to := []domain.Recipient{domain.OrganisationRecipient(ep.OrganisationID)}
	for after := ""; ; {
		people, err := tx.ListPeople(ctx, store.PeopleQuery{OrganisationIDs: []string{ep.OrganisationID}, AfterID: after, Limit: 500})
		if err != nil {
			return err
		}
		for _, p := range people {
			to = append(to, domain.PersonRecipient(p.ID))
		}
		if len(people) < 500 {
			break
		}
		after = people[len(people)-1].ID
	}
	q := store.ReminderQuery{Recipients: to, States: []domain.ReminderState{domain.ReminderOpen}, Oldest: true, Limit: 500}
	for {
		open, err := tx.ListReminders(ctx, q)
		if err != nil {
			return err
		}
		deliveries := make([]domain.Delivery, len(open))
		for i, r := range open {
			deliveries[i] = domain.NewDelivery(uuid.Must(uuid.NewV7()).String(), r.ID, ep, now)
		}
		if _, err := tx.AddDeliveries(ctx, deliveries); err != nil {
			return err
		}
		if len(open) < q.Limit {
			return nil
		}
		q.AfterID = open[len(open)-1].ID
	}
}

// endpoint loads an endpoint of the caller's organisation.
func endpoint(ctx context.Context, tx store.Tx, field, name string) (domain.WebhookEndpoint, error) {
	ids, err := convert.Parse(field, name, "organisations", "webhookEndpoints")
	if err != nil {
		return domain.WebhookEndpoint{}, err
	}
	e, err := tx.GetWebhookEndpoint(ctx, ids[1])
	if errs.KindOf(err) == errs.NotFound || err == nil && e.OrganisationID != ids[0] {
		return e, errEndpointDenied
	} else if err != nil {
		return e, err
	}
	_, err = managedOrganisation(ctx, tx, field, "organisations/"+ids[0])
	return e, err
}

func (s *Server) GetWebhookEndpoint(ctx context.Context, req *pb.GetWebhookEndpointRequest) (*pb.WebhookEndpoint, error) {
	var out domain.WebhookEndpoint
	err := s.store.InRead(ctx, func(tx store.Tx) (err error) {
		out, err = endpoint(ctx, tx, "name", req.GetName())
		return err
	})
	if err != nil {
		return nil, err
	}
	return endpointToProto(out), nil
}

func (s *Server) ListWebhookEndpoints(ctx context.Context, req *pb.ListWebhookEndpointsRequest) (*pb.ListWebhookEndpointsResponse, error) {
	after, err := listing.AfterID(req.GetPageToken(), req.GetParent())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var page []domain.WebhookEndpoint
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		org, err := managedOrganisation(ctx, tx, "parent", req.GetParent())
		if err != nil {
			return err
		}
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
			case "signing_algorithm": // changed only by rotating the key
				if alg := in.GetSigningAlgorithm(); alg != pb.WebhookEndpoint_SIGNING_ALGORITHM_UNSPECIFIED &&
					alg != endpointToProto(cur).GetSigningAlgorithm() {
					return errs.Invalid(errs.Violation{Field: "webhook_endpoint.signing_algorithm",
						Description: "is changed by rotating the endpoint's key (:rotateSecret), not by an update"})
				}
			case "name", "etag", "disabled_reason", "secret", "previous_secret_expire_time", "failed_deliveries",
				"create_time", "update_time", "public_key", "previous_public_key": // identity and output only: REST clients echo them back
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
	var out domain.WebhookEndpoint
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := endpoint(ctx, tx, "name", req.GetName())
		if err != nil {
			return err
		}
		alg := req.GetSigningAlgorithm()
		if alg == pb.WebhookEndpoint_SIGNING_ALGORITHM_UNSPECIFIED {
			alg = endpointToProto(cur).GetSigningAlgorithm()
		}
		secret := s.newKey(alg)
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
	return withSecret(out), nil
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
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		if all {
			if q.OrganisationID, err = managedOrganisation(ctx, tx, "parent", org); err != nil {
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
