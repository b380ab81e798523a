package console

import (
	"net/url"
	"strings"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// factPage records one fact the cliff-edge checks read (a bank account open, a GP
// registered...), with how it was verified.
type factPage struct {
	YoungPersonID, YoungPersonName string
	Fact                           *pb.Fact
	Form                           url.Values
	EvidenceTypes                  []option
}

type option struct{ Value, Label string }

var evidenceTypes = []option{
	{"document-seen", "I have seen a document"},
	{"confirmed-by-agency", "Another agency confirmed it"},
	{"confirmed-by-young-person", "The young person told me"},
	{"other", "Another way"},
}

var evidenceTypeValues = map[string]pb.EvidenceType{
	"document-seen":             pb.EvidenceType_EVIDENCE_TYPE_DOCUMENT_SEEN,
	"confirmed-by-agency":       pb.EvidenceType_EVIDENCE_TYPE_CONFIRMED_BY_AGENCY,
	"confirmed-by-young-person": pb.EvidenceType_EVIDENCE_TYPE_CONFIRMED_BY_YOUNG_PERSON,
	"other":                     pb.EvidenceType_EVIDENCE_TYPE_OTHER,
}

func (c *Console) fact(cl *call) (view, error) { return c.factView(cl, url.Values{}, nil) }

func (c *Console) factView(cl *call, form url.Values, errs []fieldError) (view, error) {
	id, key := cl.r.PathValue("id"), cl.r.PathValue("fact")
	p := factPage{YoungPersonID: id, Form: form, EvidenceTypes: evidenceTypes}
	g, ctx := errgroup.WithContext(cl.ctx)
	g.Go(func() error {
		y, err := c.clients.people.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: "youngPeople/" + id})
		p.YoungPersonName = displayName(y)
		return err
	})
	g.Go(func() error {
		res, err := c.clients.readiness.ListFacts(ctx, &pb.ListFactsRequest{Parent: "youngPeople/" + id})
		for _, f := range res.GetFacts() {
			if lastSegment(f.GetName()) == key {
				p.Fact = f
			}
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return view{}, err
	}
	if p.Fact == nil {
		return notFound(), nil
	}
	v := view{template: "fact", title: p.Fact.GetTitle() + " – " + p.YoungPersonName, data: p, errors: errs}
	if len(errs) > 0 {
		v.status = 400
	}
	return v, nil
}

func (c *Console) recordFact(cl *call) (redirect, view, error) {
	id, key := cl.r.PathValue("id"), cl.r.PathValue("fact")
	f := cl.r.PostForm
	var errs []fieldError
	value := f.Get("value")
	if value != "yes" && value != "no" {
		errs = append(errs, fieldError{Field: "value", Message: "Select yes or no."})
	}
	evidence, ok := evidenceTypeValues[f.Get("evidence-type")]
	if !ok {
		errs = append(errs, fieldError{Field: "evidence-type", Message: "Select how you know."})
	}
	if len(errs) > 0 {
		v, err := c.factView(cl, f, errs)
		return "", v, err
	}
	yes := value == "yes"
	_, err := c.clients.readiness.RecordFact(cl.ctx, &pb.RecordFactRequest{Name: "youngPeople/" + id + "/facts/" + key,
		Value: &yes, EvidenceType: evidence, Note: strings.TrimSpace(f.Get("note"))})
	if status.Code(err) == codes.InvalidArgument {
		errs, _ := formErrors(err, map[string]string{"note": "note", "value": "value", "evidence_type": "evidence-type"})
		v, err := c.factView(cl, f, errs)
		return "", v, err
	}
	if err != nil {
		return "", view{}, err
	}
	return redirect(Prefix + "young-people/" + id + "?done=fact#facts"), view{}, nil
}
