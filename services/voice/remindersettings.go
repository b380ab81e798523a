package voice

import (
	"context"
	"slices"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
)

const reminderSettings = "reminderSettings"

// The setting lives on the young person's own account (Person.OwnReminders): it is their
// choice about their own inbox, and without an account there is nowhere to remind them.

func reminderSettingsToProto(ypID string, acc domain.Person) *pb.ReminderSettings {
	out := &pb.ReminderSettings{Name: ypPrefix + ypID + "/" + reminderSettings, InApp: acc.OwnReminders, HasAccount: acc.ID != ""}
	if acc.ID != "" {
		out.Etag = convert.Etag(acc.Revision)
	}
	return out
}

// account is the young person's own account; the zero Person when they have none.
func account(ctx context.Context, tx store.Tx, ypID string) (domain.Person, error) {
	acc, err := tx.YoungPersonAccount(ctx, ypID)
	if errs.KindOf(err) == errs.NotFound {
		return domain.Person{}, nil
	}
	return acc, err
}

func (s *Server) GetReminderSettings(ctx context.Context, req *pb.GetReminderSettingsRequest) (*pb.ReminderSettings, error) {
	ids, err := convert.ParseSingleton("name", req.GetName(), reminderSettings, "youngPeople")
	if err != nil {
		return nil, err
	}
	var out *pb.ReminderSettings
	err = s.read(ctx, ids[0], func(tx store.Tx, yp domain.YoungPerson) error {
		acc, err := account(ctx, tx, yp.ID)
		out = reminderSettingsToProto(yp.ID, acc)
		return err
	})
	return out, err
}

var errNotYourAccount = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"only the young person, signed in to their own account, turns their own reminders on or off")

func (s *Server) UpdateReminderSettings(ctx context.Context, req *pb.UpdateReminderSettingsRequest) (*pb.ReminderSettings, error) {
	in := req.GetReminderSettings()
	ids, err := convert.ParseSingleton("reminder_settings.name", in.GetName(), reminderSettings, "youngPeople")
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	// in_app is the one field a caller sets: no mask, or one naming it or "*", sets it.
	paths := req.GetUpdateMask().GetPaths()
	set := len(paths) == 0 || slices.Contains(paths, "*") || slices.Contains(paths, "in_app")
	var out *pb.ReminderSettings
	err = s.write(ctx, ids[0], func(tx store.Tx, yp domain.YoungPerson) error {
		acc, err := account(ctx, tx, yp.ID)
		if err != nil {
			return err
		}
		// Staff who may see the young person are let in by access.LockYoungPerson (and kept
		// out by the method's policy): this choice is the young person's alone.
		if acc.ID == "" || access.Caller(ctx).Subject != acc.ID {
			return errNotYourAccount
		}
		if set && in.GetInApp() != acc.OwnReminders {
			if acc, err = tx.SetOwnReminders(ctx, acc.ID, in.GetInApp(), s.now(), ifRevision); err != nil {
				return err
			}
			// Raise theirs now, or cancel the open ones, rather than at the next sweep.
			if err := s.planner.Remind(ctx, tx, yp.ID); err != nil {
				return err
			}
		} else if err := store.CheckRevision(ifRevision, acc.Revision); err != nil {
			return err
		}
		out = reminderSettingsToProto(yp.ID, acc)
		return nil
	})
	return out, err
}
