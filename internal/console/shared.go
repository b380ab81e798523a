package console

import (
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// A housing or employment officer's pages: the young people shared with their
// organisation and how ready each is, exactly what the partner API gives them.

type sharedPage struct {
	People   []*pb.SharedYoungPerson
	NextPage string
}

func (c *Console) shared(cl *call) (view, error) {
	res, err := c.clients.partner.ListSharedYoungPeople(cl.ctx, &pb.ListSharedYoungPeopleRequest{
		Parent: "organisations/" + cl.sess.Organisation, PageSize: 25, PageToken: cl.r.URL.Query().Get("page")})
	if err != nil {
		return view{}, err
	}
	p := sharedPage{People: res.GetSharedYoungPeople()}
	if t := res.GetNextPageToken(); t != "" {
		p.NextPage = Prefix + "shared?page=" + t
	}
	return view{template: "shared", title: "Shared with us", data: p}, nil
}

type sharedPersonPage struct {
	Person    *pb.SharedYoungPerson
	Readiness []readinessView
}

type readinessView struct {
	Title string
	R     *pb.Readiness
}

// sharedPerson shows one shared young person's readiness for what the share is for: the
// API answers the purpose the partner has a share for and refuses the other, which is
// simply not shown.
func (c *Console) sharedPerson(cl *call) (view, error) {
	name := "organisations/" + cl.sess.Organisation + "/sharedYoungPeople/" + cl.r.PathValue("id")
	p := sharedPersonPage{}
	var housing, employment *pb.Readiness
	g, ctx := errgroup.WithContext(cl.ctx)
	g.Go(func() (err error) {
		p.Person, err = c.clients.partner.GetSharedYoungPerson(ctx, &pb.GetSharedYoungPersonRequest{Name: name})
		return err
	})
	g.Go(func() (err error) {
		housing, err = c.clients.partner.GetHousingReadiness(ctx, &pb.GetHousingReadinessRequest{Name: name + "/housingReadiness"})
		return refusedIsNothing(err)
	})
	g.Go(func() (err error) {
		employment, err = c.clients.partner.GetEmploymentReadiness(ctx, &pb.GetEmploymentReadinessRequest{Name: name + "/employmentReadiness"})
		return refusedIsNothing(err)
	})
	if err := g.Wait(); err != nil {
		return view{}, err
	}
	if housing != nil {
		p.Readiness = append(p.Readiness, readinessView{"Ready for a tenancy", housing})
	}
	if employment != nil {
		p.Readiness = append(p.Readiness, readinessView{"Ready for work or training", employment})
	}
	title := p.Person.GetGivenName() + " " + p.Person.GetFamilyName()
	return view{template: "shared-person", title: title, data: p}, nil
}

func refusedIsNothing(err error) error {
	if c := status.Code(err); c == codes.PermissionDenied || c == codes.NotFound {
		return nil
	}
	return err
}
