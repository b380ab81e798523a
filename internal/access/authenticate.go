package access

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/platform/principal"
	"github.com/carepath/carepath/internal/store"
)

// Metadata the REST gateway adds to the calls it makes for REST clients. They are believed
// only with the gateway's secret, which never leaves the process, so no client can claim
// another's address or certificate.
const (
	GatewaySecretKey  = "x-carepath-gateway-secret"
	GatewayAddressKey = "x-carepath-client-address"
	GatewayCertKey    = "x-carepath-client-certificate"
)

// Authenticator turns a call's credentials into a principal: a bearer token of a person
// carepath knows, or the client certificate of a partner organisation's system.
// It also records, in the audit trail, every call it or the service refuses to a known caller.
//
// Who a token or certificate stands for is cached for a short time (CacheConfig), so that a
// caller's token is verified, and they are looked up, once in a while rather than on every
// call; changes to people and organisations made through Watch's store forget it at once.
type Authenticator struct {
	store         store.Store
	verifier      authn.Verifier
	gatewaySecret string
	cache         *principalCache
	now           func() time.Time // the service's clock, for the records of refusals
	log           *slog.Logger
}

// NewAuthenticator returns an authenticator. gatewaySecret is what the in-process REST
// gateway sends to vouch for a client's address and certificate; cache bounds the principal
// cache (its clock must be the verifier's).
func NewAuthenticator(s store.Store, v authn.Verifier, gatewaySecret string, cache CacheConfig, now func() time.Time,
	log *slog.Logger) *Authenticator {
	return &Authenticator{store: s, verifier: v, gatewaySecret: gatewaySecret, cache: newPrincipalCache(cache), now: now, log: log}
}

var (
	errNoCredentials = errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated,
		"this call needs credentials: send a bearer token (Authorization: Bearer ...) or a client certificate")
	errNotRegistered = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
		"the caller is not registered in carepath, or is disabled")
	errNoPolicy = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
		"this method is not open to any caller")
	errRole = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
		"your role may not call this method")
)

// Unary authenticates and authorises the method of every unary call but public ones, and
// records the refusal of a known caller, by the method's policy or by the service.
func (a *Authenticator) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, p, err := a.check(ctx, info.FullMethod)
	if err == nil {
		var resp any
		if resp, err = handler(ctx, req); err == nil {
			return resp, nil
		}
	}
	a.recordRefusal(ctx, p, info.FullMethod, req, err)
	return nil, err
}

// Stream does the same for streams.
func (a *Authenticator) Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, p, err := a.check(ss.Context(), info.FullMethod)
	if err == nil {
		err = handler(srv, &stream{ServerStream: ss, ctx: ctx})
	}
	if err != nil {
		a.recordRefusal(ctx, p, info.FullMethod, nil, err)
	}
	return err
}

type stream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *stream) Context() context.Context { return s.ctx }

// check returns the context of the call with its principal, and the principal as far as it
// is known even when the call is refused (a registered person whose role may not call the
// method; the subject of a verified token of someone not registered).
func (a *Authenticator) check(ctx context.Context, method string) (context.Context, principal.Principal, error) {
	policy, ok := PolicyFor(method)
	if !ok {
		a.log.ErrorContext(ctx, "refused a call to a method with no access policy", "grpc.method", method)
		return ctx, principal.Principal{}, errNoPolicy
	}
	if policy.Public {
		return ctx, principal.Principal{}, nil
	}
	p, err := a.principal(ctx)
	if err != nil {
		return ctx, p, err
	}
	if !p.Has(policy.Roles...) {
		return ctx, p, errRole
	}
	return principal.With(ctx, p), p, nil
}

// principal resolves the caller, from the cache or else from the credential and the store.
// A verified token of someone not registered (or disabled) yields errNotRegistered with the
// principal's subject and address only. The client address is always the call's own.
func (a *Authenticator) principal(ctx context.Context) (principal.Principal, error) {
	address, certSubject := a.transport(ctx)
	if header := first(ctx, "authorization"); header != "" {
		token, err := authn.FromAuthorization(header)
		if err != nil {
			return principal.Principal{}, err
		}
		return a.cached(tokenCredential(token), address, func() (principal.Principal, time.Time, error) {
			claims, err := a.verifier.Verify(ctx, token)
			if err != nil {
				return principal.Principal{}, time.Time{}, err
			}
			p, err := a.person(ctx, claims.Subject, address)
			return p, claims.Expiry, err
		})
	}
	if certSubject != "" {
		return a.cached(certificateCredential(certSubject), address, func() (principal.Principal, time.Time, error) {
			p, err := a.system(ctx, certSubject, address)
			return p, time.Time{}, err // the TLS handshake checks the certificate's validity
		})
	}
	return principal.Principal{}, errNoCredentials
}

// transport returns the client's address and verified certificate subject: from the
// connection, or, for REST calls, from the gateway that received them.
func (a *Authenticator) transport(ctx context.Context) (address, certSubject string) {
	if a.gatewaySecret != "" && subtle.ConstantTimeCompare([]byte(first(ctx, GatewaySecretKey)), []byte(a.gatewaySecret)) == 1 {
		return first(ctx, GatewayAddressKey), first(ctx, GatewayCertKey)
	}
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "", ""
	}
	if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
		address = host
	}
	if tlsInfo, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(tlsInfo.State.VerifiedChains) > 0 {
		certSubject = CertificateSubject(tlsInfo.State.VerifiedChains[0][0].URIs)
	}
	return address, certSubject
}

// first is the call's first value of the metadata key, looked up without copying the
// call's whole metadata as metadata.FromIncomingContext does.
func first(ctx context.Context, key string) string {
	if v := metadata.ValueFromIncomingContext(ctx, key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (a *Authenticator) person(ctx context.Context, id, address string) (principal.Principal, error) {
	p := principal.Principal{Subject: id, Kind: principal.KindPerson, ClientAddress: address}
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		person, err := tx.GetPerson(ctx, id)
		if errors.Is(err, store.ErrPersonNotFound) || err == nil && person.Disabled {
			return errNotRegistered
		} else if err != nil {
			p.Subject = "" // not known to be refused: nothing to record
			return err
		}
		org, err := tx.GetOrganisation(ctx, person.OrganisationID)
		if err != nil {
			return err
		}
		p.Organisation, p.OrganisationType, p.Team, p.YoungPerson = org.ID, string(org.Type), person.Team, person.YoungPersonID
		for _, r := range person.Roles {
			p.Roles = append(p.Roles, string(r))
		}
		if person.Has(domain.TeamManager) && person.Team != "" {
			p.TeamAdvisers, err = TeamAdvisers(ctx, tx, org.ID, person.Team)
		}
		return err
	})
	return p, err
}

// TeamAdvisers lists the personal advisers of a team, including disabled ones: the caseload
// of an adviser who has left stays in the manager's sight until it is reallocated.
func TeamAdvisers(ctx context.Context, tx store.Tx, org, team string) ([]string, error) {
	return store.TeamMembers(ctx, tx, org, team, func(p domain.Person) bool { return p.Has(domain.PersonalAdviser) })
}

// system makes the principal of an organisation's system from its certificate subject: a
// partner's system acts as a partner officer; other organisations' systems get no role.
func (a *Authenticator) system(ctx context.Context, subject, address string) (principal.Principal, error) {
	var p principal.Principal
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		org, err := tx.OrganisationByCertificateSubject(ctx, subject)
		if errors.Is(err, store.ErrOrganisationNotFound) {
			return errs.New(errs.Unauthenticated, errs.ReasonUnauthenticated,
				"the client certificate is not registered to any organisation")
		} else if err != nil {
			return err
		}
		p = principal.Principal{Subject: "system:" + org.ID, Kind: principal.KindSystem, Organisation: org.ID,
			OrganisationType: string(org.Type), ClientAddress: address}
		if domain.PurposeOf(org.Type) != "" {
			p.Roles = []string{Partner}
		}
		return nil
	})
	return p, err
}

// CertificateSubject picks the subject that identifies a client certificate: its first URI
// subject alternative name (SPIFFE style).
func CertificateSubject(uris []*url.URL) string {
	for _, u := range uris {
		if u != nil {
			return u.String()
		}
	}
	return ""
}
