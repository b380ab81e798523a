// Package accessadmin implements carepath.v1.AccessService: administrators manage
// organisations and people. Who manages which organisation is access.ManagesOrganisation:
// a council's administrators their council and the partners it stewards while those work
// with it alone; a partner's administrators their own organisation. No one changes their
// own roles, and administrators and auditors hold no role that sees young people.
package accessadmin

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.einride.tech/aip/fieldmask"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	"github.com/carepath/carepath/internal/platform/principal"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/idem"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements AccessService.
type Server struct {
	pb.UnimplementedAccessServiceServer
	store store.Store
	now   func() time.Time
}

// New returns the service.
func New(s store.Store, now func() time.Time) *Server { return &Server{store: s, now: now} }

const (
	orgPrefix    = "organisations/"
	personPrefix = "people/"
)

var errNotManaged = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"you may manage only your own organisation, and partners your council registered while they work with it alone")

func orgToProto(o domain.Organisation) *pb.Organisation {
	out := &pb.Organisation{
		Name: orgPrefix + o.ID, DisplayName: o.DisplayName,
		Type:                      pb.Organisation_Type(pb.Organisation_Type_value[string(o.Type)]),
		ClientCertificateSubjects: o.CertificateSubjects,
		CreateTime:                timestamppb.New(o.CreateTime), UpdateTime: timestamppb.New(o.UpdateTime),
		Etag: convert.Etag(o.Revision),
	}
	if o.Steward != "" {
		out.Steward = orgPrefix + o.Steward
	}
	return out
}

func personToProto(p domain.Person) *pb.Person {
	out := &pb.Person{
		Name: personPrefix + p.ID, DisplayName: p.DisplayName, Organisation: orgPrefix + p.OrganisationID,
		Team: p.Team, Disabled: p.Disabled,
		CreateTime: timestamppb.New(p.CreateTime), UpdateTime: timestamppb.New(p.UpdateTime),
		Etag: convert.Etag(p.Revision),
	}
	for _, r := range p.Roles {
		out.Roles = append(out.Roles, pb.Person_Role(pb.Person_Role_value[string(r)]))
	}
	if p.YoungPersonID != "" {
		out.YoungPerson = "youngPeople/" + p.YoungPersonID
	}
	return out
}

// The organisation directory (names and types) is open to every administrator: councils
// need it to record agreements with partners.
func (s *Server) GetOrganisation(ctx context.Context, req *pb.GetOrganisationRequest) (*pb.Organisation, error) {
	var o domain.Organisation
	err := s.store.InRead(ctx, func(tx store.Tx) (err error) {
		o, err = tx.GetOrganisation(ctx, strings.TrimPrefix(req.GetName(), orgPrefix))
		return err
	})
	if err != nil {
		return nil, err
	}
	return orgToProto(o), nil
}

func (s *Server) ListOrganisations(ctx context.Context, req *pb.ListOrganisationsRequest) (*pb.ListOrganisationsResponse, error) {
	after, err := pagetoken.Decode(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var page []domain.Organisation
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		page, err = tx.ListOrganisations(ctx, after, size+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	resp := &pb.ListOrganisationsResponse{}
	page, resp.NextPageToken = listing.Next(page, size, func(o domain.Organisation) string { return o.ID })
	for _, o := range page {
		resp.Organisations = append(resp.Organisations, orgToProto(o))
	}
	return resp, nil
}

// requestHash fingerprints what a create asks for, without what the server sets.
func requestHash(m proto.Message, clear func(proto.Message)) []byte {
	c := proto.Clone(m)
	clear(c)
	return idem.Hash(c)
}

// A council's administrator registers a partner; their council becomes its steward.
func (s *Server) CreateOrganisation(ctx context.Context, req *pb.CreateOrganisationRequest) (*pb.Organisation, error) {
	in := req.GetOrganisation()
	var v errs.Violations
	if in.GetDisplayName() == "" {
		v.Add("organisation.display_name", "is required")
	}
	if in.GetType() == pb.Organisation_TYPE_UNSPECIFIED {
		v.Add("organisation.type", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if in.GetType() == pb.Organisation_COUNCIL {
		return nil, errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
			"councils are set up with the deployment (carepath setup), not over the API")
	}
	now := s.now()
	o := domain.Organisation{ID: req.GetOrganisationId(), DisplayName: in.GetDisplayName(),
		Type: domain.OrganisationType(in.GetType().String()), CertificateSubjects: in.GetClientCertificateSubjects(),
		Steward: access.Caller(ctx).Organisation, CreateTime: now, UpdateTime: now}
	hash := requestHash(req, func(m proto.Message) { m.(*pb.CreateOrganisationRequest).RequestId = "" })
	var out domain.Organisation
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		prior, err := idem.Claim(ctx, tx, "carepath.v1.AccessService/CreateOrganisation/"+o.Steward, req.GetRequestId(), hash, o.ID, now)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = tx.GetOrganisation(ctx, prior)
			return err
		}
		out, err = tx.CreateOrganisation(ctx, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	return orgToProto(out), nil
}

// managed loads an organisation the caller manages; one they do not, or none, is refused
// alike.
func managed(ctx context.Context, tx store.Tx, id string) (domain.Organisation, error) {
	org, err := tx.GetOrganisation(ctx, id)
	if err == store.ErrOrganisationNotFound {
		return org, errNotManaged
	} else if err != nil {
		return org, err
	}
	ok, err := access.ManagesOrganisation(ctx, tx, org)
	if err == nil && !ok {
		err = errNotManaged
	}
	return org, err
}

func (s *Server) UpdateOrganisation(ctx context.Context, req *pb.UpdateOrganisationRequest) (*pb.Organisation, error) {
	in := req.GetOrganisation()
	ids, err := convert.Parse("organisation.name", in.GetName(), "organisations")
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	var out domain.Organisation
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := managed(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		merged := orgToProto(cur)
		mask, err := listing.Changes("organisation", req.GetUpdateMask(), in, merged)
		if err != nil {
			return err
		}
		fieldmask.Update(mask, merged, in)
		next := cur
		next.DisplayName, next.CertificateSubjects, next.UpdateTime = merged.GetDisplayName(), merged.GetClientCertificateSubjects(), s.now()
		if next.DisplayName == "" {
			return errs.Invalid(errs.Violation{Field: "organisation.display_name", Description: "is required"})
		}
		out, err = tx.UpdateOrganisation(ctx, next, cur.Revision)
		return err
	})
	if err != nil {
		return nil, err
	}
	return orgToProto(out), nil
}

// managedOrganisations are the organisations whose people the caller manages.
func managedOrganisations(ctx context.Context, tx store.Tx) ([]string, error) {
	var ids []string
	after := ""
	for {
		page, err := tx.ListOrganisations(ctx, after, 500)
		if err != nil {
			return nil, err
		}
		for _, o := range page {
			ok, err := access.ManagesOrganisation(ctx, tx, o)
			if err != nil {
				return nil, err
			}
			if ok {
				ids = append(ids, o.ID)
			}
		}
		if len(page) < 500 {
			return ids, nil
		}
		after = page[len(page)-1].ID
	}
}

var errPersonDenied = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"you may not manage this person, or there is no such person")

// meID is the id that stands for the caller (AIP-style `people/me`): anyone signed in may
// read their own record, which is how the console learns whose pages to show.
const meID = "me"

// me loads the calling person's own record.
func me(ctx context.Context, tx store.Tx) (domain.Person, error) {
	caller, ok := principal.From(ctx)
	if !ok || caller.Kind != principal.KindPerson {
		return domain.Person{}, errPersonDenied
	}
	p, err := tx.GetPerson(ctx, caller.Subject)
	if err == store.ErrPersonNotFound {
		return p, errPersonDenied
	}
	return p, err
}

// person loads a person the caller manages, with their organisation.
func person(ctx context.Context, tx store.Tx, id string) (domain.Person, domain.Organisation, error) {
	p, err := tx.GetPerson(ctx, id)
	if err == store.ErrPersonNotFound {
		return p, domain.Organisation{}, errPersonDenied
	} else if err != nil {
		return p, domain.Organisation{}, err
	}
	org, err := managed(ctx, tx, p.OrganisationID)
	if err == errNotManaged {
		err = errPersonDenied
	}
	return p, org, err
}

func (s *Server) GetPerson(ctx context.Context, req *pb.GetPersonRequest) (*pb.Person, error) {
	id := strings.TrimPrefix(req.GetName(), personPrefix)
	var p domain.Person
	err := s.store.InRead(ctx, func(tx store.Tx) (err error) {
		if id == meID {
			p, err = me(ctx, tx)
			return err
		}
		p, _, err = person(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return personToProto(p), nil
}

func (s *Server) ListPeople(ctx context.Context, req *pb.ListPeopleRequest) (*pb.ListPeopleResponse, error) {
	after, err := pagetoken.Decode(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var page []domain.Person
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		orgs, err := managedOrganisations(ctx, tx)
		if err != nil || len(orgs) == 0 {
			return err
		}
		page, err = tx.ListPeople(ctx, store.PeopleQuery{OrganisationIDs: orgs, AfterID: after, Limit: size + 1})
		return err
	})
	if err != nil {
		return nil, err
	}
	resp := &pb.ListPeopleResponse{}
	page, resp.NextPageToken = listing.Next(page, size, func(p domain.Person) string { return p.ID })
	for _, p := range page {
		resp.People = append(resp.People, personToProto(p))
	}
	return resp, nil
}

// checkPerson refuses a person without a name, or with roles that do not fit the
// organisation or break the separation of duties.
func checkPerson(org domain.Organisation, p domain.Person) error {
	var v errs.Violations
	if p.DisplayName == "" {
		v.Add("person.display_name", "is required")
	}
	if problem := domain.RolesProblem(org.Type, p.Roles); problem != "" {
		v.Add("person.roles", problem)
	} else if young := slices.Contains(p.Roles, domain.YoungPersonRole); young != (p.YoungPersonID != "") {
		// A young person's account is made by YoungPeopleService.InviteYoungPerson, linked
		// to their record, and keeps that one role; no one else is given it.
		v.Add("person.roles", "YOUNG_PERSON is the role of a young person's own account alone: "+
			"staff invite a young person with InviteYoungPerson")
	}
	return v.Err()
}

func rolesFromProto(in []pb.Person_Role) []domain.Role {
	out := make([]domain.Role, len(in))
	for i, r := range in {
		out[i] = domain.Role(r.String())
	}
	return out
}

func (s *Server) CreatePerson(ctx context.Context, req *pb.CreatePersonRequest) (*pb.Person, error) {
	in := req.GetPerson()
	orgID, ok := strings.CutPrefix(in.GetOrganisation(), orgPrefix)
	if !ok {
		return nil, errs.Invalid(errs.Violation{Field: "person.organisation", Description: "is required, as organisations/{organisation}"})
	}
	now := s.now()
	p := domain.Person{ID: req.GetPersonId(), DisplayName: in.GetDisplayName(), OrganisationID: orgID, Team: in.GetTeam(),
		Roles: rolesFromProto(in.GetRoles()), Disabled: in.GetDisabled(), CreateTime: now, UpdateTime: now}
	if p.ID == meID {
		return nil, errs.Invalid(errs.Violation{Field: "person_id", Description: `"me" stands for the caller in people/me; choose another id`})
	}
	hash := requestHash(req, func(m proto.Message) { m.(*pb.CreatePersonRequest).RequestId = "" })
	var out domain.Person
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		org, err := tx.GetOrganisation(ctx, orgID)
		if err == store.ErrOrganisationNotFound {
			return errs.Invalid(errs.Violation{Field: "person.organisation", Description: "is not an organisation"})
		} else if err != nil {
			return err
		}
		if ok, err := access.ManagesOrganisation(ctx, tx, org); err != nil {
			return err
		} else if !ok {
			return errNotManaged
		}
		if err := checkPerson(org, p); err != nil {
			return err
		}
		prior, err := idem.Claim(ctx, tx, "carepath.v1.AccessService/CreatePerson/"+orgID, req.GetRequestId(), hash, p.ID, now)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = tx.GetPerson(ctx, prior)
			return err
		}
		if out, err = tx.CreatePerson(ctx, p); err != nil {
			return err
		}
		return rerouteReminders(ctx, tx, org, now, out)
	})
	if err != nil {
		return nil, err
	}
	return personToProto(out), nil
}

// rerouteReminders has the reminders of the young people a change to council staff may
// re-route worked out again at the next sweep: the person's own caseload (an adviser who has
// left, or is back) and the caseloads of the teams they were and are in (whose escalations
// go to the teams' managers).
func rerouteReminders(ctx context.Context, tx store.Tx, org domain.Organisation, now time.Time, versions ...domain.Person) error {
	if org.Type != domain.Council {
		return nil
	}
	var advisers []string
	for _, p := range versions {
		advisers = append(advisers, p.ID)
		if p.Team == "" {
			continue
		}
		team, err := access.TeamAdvisers(ctx, tx, org.ID, p.Team)
		if err != nil {
			return err
		}
		advisers = append(advisers, team...)
	}
	slices.Sort(advisers)
	return tx.HastenCaseloads(ctx, org.ID, slices.Compact(advisers), now)
}

var errOwnRoles = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"no one changes their own roles or disables themselves: another administrator (or the identity provider) does")

func (s *Server) UpdatePerson(ctx context.Context, req *pb.UpdatePersonRequest) (*pb.Person, error) {
	in := req.GetPerson()
	ids, err := convert.Parse("person.name", in.GetName(), "people")
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	var out domain.Person
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		cur, org, err := person(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		merged := personToProto(cur)
		mask, err := listing.Changes("person", req.GetUpdateMask(), in, merged)
		if err != nil {
			return err
		}
		fieldmask.Update(mask, merged, in)
		next := cur
		next.DisplayName, next.Team, next.Roles, next.Disabled, next.UpdateTime =
			merged.GetDisplayName(), merged.GetTeam(), rolesFromProto(merged.GetRoles()), merged.GetDisabled(), s.now()
		if cur.ID == access.Caller(ctx).Subject && (!sameRoles(cur.Roles, next.Roles) || next.Disabled != cur.Disabled) {
			return errOwnRoles
		}
		if err := checkPerson(org, next); err != nil {
			return err
		}
		if out, err = tx.UpdatePerson(ctx, next, cur.Revision); err != nil {
			return err
		}
		return rerouteReminders(ctx, tx, org, next.UpdateTime, cur, out)
	})
	if err != nil {
		return nil, err
	}
	return personToProto(out), nil
}

func sameRoles(a, b []domain.Role) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
