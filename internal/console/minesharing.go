package console

import (
	"strings"

	"golang.org/x/sync/errgroup"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// mySharingPage shows who sees the young person's information, for what and until when,
// and from 18 lets them stop or restart a share made with their consent.
type mySharingPage struct {
	Shares []myShare
	Adult  bool
	Done   string
}

type myShare struct {
	ID, Partner, For, Basis, Until string
	Active, Consent                bool
}

var purposeForYou = map[pb.SharingAgreement_Purpose]string{
	pb.SharingAgreement_HOUSING:    "to help you find a home",
	pb.SharingAgreement_EMPLOYMENT: "to help you find work or training",
}

func (c *Console) mySharing(cl *call) (view, error) {
	if cl.sess.YoungPerson == "" {
		return notFound(), nil // a young person's own page; staff have theirs
	}
	name := "youngPeople/" + cl.sess.YoungPerson
	var yp *pb.YoungPerson
	var shares []*pb.Share
	g, ctx := errgroup.WithContext(cl.ctx)
	g.Go(func() (err error) {
		yp, err = c.clients.people.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name})
		return err
	})
	g.Go(func() error {
		res, err := c.clients.sharing.ListShares(ctx, &pb.ListSharesRequest{Parent: name})
		shares = res.GetShares()
		return err
	})
	if err := g.Wait(); err != nil {
		return view{}, err
	}
	p := mySharingPage{Adult: yp.GetAge().GetYears() >= 18, Done: map[string]string{
		"stopped": "You stopped sharing. They can no longer see your information.",
		"shared":  "You are sharing again.",
	}[cl.r.URL.Query().Get("done")]}
	for _, s := range shares {
		ms := myShare{ID: lastSegment(s.GetName()), Partner: partnerName(s.GetPartner()), For: purposeForYou[s.GetPurpose()],
			Until: formatDate(s.GetExpiryDate()), Active: s.GetActive(), Consent: s.GetBasis() == pb.Share_CONSENT}
		ms.Basis = "Your adviser asked them to help you."
		if ms.Consent {
			ms.Basis = "You agreed to this."
		}
		p.Shares = append(p.Shares, ms)
	}
	return view{template: "mine-sharing", title: "Who sees your information", data: p}, nil
}

// partnerName makes an organisation's id readable: framework-housing -> Framework housing.
func partnerName(name string) string {
	s := strings.ReplaceAll(lastSegment(name), "-", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// stopSharing withdraws the young person's consent to one share; the API refuses it
// before 18 and for a share they did not agree to, and the page then says why.
func (c *Console) stopSharing(cl *call) (redirect, view, error) {
	name := "youngPeople/" + cl.sess.YoungPerson + "/shares/" + cl.r.PathValue("share")
	_, err := c.clients.sharing.WithdrawShare(cl.ctx, &pb.WithdrawShareRequest{Name: name, Reason: "The young person withdrew their consent."})
	if err != nil {
		return "", view{}, err
	}
	return redirect(Prefix + "me/sharing?done=stopped"), view{}, nil
}

// shareAgain gives consent again to a share the young person had stopped, for the same
// partner and purpose, until the date it was to end.
func (c *Console) shareAgain(cl *call) (redirect, view, error) {
	parent := "youngPeople/" + cl.sess.YoungPerson
	res, err := c.clients.sharing.ListShares(cl.ctx, &pb.ListSharesRequest{Parent: parent})
	if err != nil {
		return "", view{}, err
	}
	for _, s := range res.GetShares() {
		if lastSegment(s.GetName()) != cl.r.PathValue("share") {
			continue
		}
		_, err := c.clients.sharing.CreateShare(cl.ctx, &pb.CreateShareRequest{Parent: parent, Share: &pb.Share{
			Partner: s.GetPartner(), Purpose: s.GetPurpose(), Basis: pb.Share_CONSENT, ExpiryDate: s.GetExpiryDate()}})
		if err != nil {
			return "", view{}, err
		}
		return redirect(Prefix + "me/sharing?done=shared"), view{}, nil
	}
	return "", notFound(), nil
}
