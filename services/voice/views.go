package voice

import (
	"context"

	"go.einride.tech/aip/fieldmask"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/listing"
)

var errNoView = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
	"the young person has given no view of this area yet; set allow_missing to record one")

func viewToProto(v domain.View) *pb.View {
	out := &pb.View{Name: ypPrefix + v.YoungPersonID + "/views/" + areaID(v.Area), Area: areaToProto(v.Area), Wants: v.Wants,
		Feeling: pb.Feeling(pb.Feeling_value["FEELING_"+string(v.Feeling)]), UpdateTime: timestamp(v.UpdateTime), Etag: convert.Etag(v.Revision)}
	if v.Author != "" {
		out.Author = convert.ActorName(v.Author)
	}
	return out
}

func feelingFromProto(f pb.Feeling) domain.Feeling {
	if f == pb.Feeling_FEELING_UNSPECIFIED {
		return domain.FeelingUnsaid
	}
	return domain.Feeling(f.String()[len("FEELING_"):])
}

func (s *Server) ListViews(ctx context.Context, req *pb.ListViewsRequest) (*pb.ListViewsResponse, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "youngPeople")
	if err != nil {
		return nil, err
	}
	var views []domain.View
	err = s.read(ctx, ids[0], func(tx store.Tx, _ domain.YoungPerson) (err error) {
		views, err = tx.ListViews(ctx, ids[0])
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &pb.ListViewsResponse{}
	for _, v := range views {
		out.Views = append(out.Views, viewToProto(v))
	}
	return out, nil
}

func (s *Server) UpdateView(ctx context.Context, req *pb.UpdateViewRequest) (*pb.View, error) {
	in := req.GetView()
	ids, err := convert.Parse("view.name", in.GetName(), "youngPeople", "views")
	if err != nil {
		return nil, err
	}
	area, ok := areaOf(ids[1])
	if !ok {
		return nil, errs.Invalid(errs.Violation{Field: "view.name", Description: "must end in one of the ten areas of a pathway plan, such as views/accommodation"})
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	var out domain.View
	err = s.write(ctx, ids[0], func(tx store.Tx, yp domain.YoungPerson) error {
		views, err := tx.ListViews(ctx, yp.ID)
		if err != nil {
			return err
		}
		cur := domain.View{YoungPersonID: yp.ID, Area: area}
		if i := indexOfArea(views, area); i >= 0 {
			cur = views[i]
		} else if !req.GetAllowMissing() {
			return errNoView
		}
		merged := viewToProto(cur)
		mask, err := listing.Changes("view", req.GetUpdateMask(), in, merged)
		if err != nil {
			return err
		}
		fieldmask.Update(mask, merged, in)
		next := cur
		next.Wants, next.Feeling, next.Author, next.UpdateTime = merged.GetWants(), feelingFromProto(merged.GetFeeling()), author(ctx), s.now()
		out, err = tx.PutView(ctx, next, ifRevision)
		return err
	})
	if err != nil {
		return nil, err
	}
	return viewToProto(out), nil
}

func indexOfArea(views []domain.View, area catalogue.Area) int {
	for i, v := range views {
		if v.Area == area {
			return i
		}
	}
	return -1
}
