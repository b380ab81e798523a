package storetest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/pathway"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// equateEmpty lets a store give back nil for an empty list (no evidence, no overrides).
var equateEmpty = cmpopts.EquateEmpty()

// oneOff is a one-off milestone (Key "") of the young person ypKey at council-a, known as key.
func oneOff(ypKey, key string, due civil.Date) domain.Milestone {
	return domain.Milestone{
		ID:            idOf(key),
		YoungPersonID: idOf(ypKey),
		CouncilID:     "council-a",
		Title:         "One-off " + key,
		Description:   "Added by hand: " + key,
		Area:          "FINANCE",
		OwnerAgency:   "YOUNG_PERSON",
		DueDate:       due,
		LapseDate:     due.AddDays(30),
		Applicable:    true,
		State:         domain.Planned,
		CreateTime:    at,
		UpdateTime:    at,
	}
}

// planned is a catalogue milestone as the planner returns it.
func planned(key string, occurrence int, due, lapse civil.Date) pathway.Planned {
	return pathway.Planned{Key: key, Occurrence: occurrence, Title: "Title of " + key,
		Area: "EDUCATION_AND_TRAINING", OwnerAgency: "VIRTUAL_SCHOOL", Due: due, Lapse: lapse}
}

// planFor is a plan of the young person's milestones, made at `at`.
func planFor(yp domain.YoungPerson, version string, ps ...pathway.Planned) store.PathwayPlan {
	return store.PathwayPlan{YoungPersonID: yp.ID, CouncilID: yp.CouncilID, Version: version, Planned: ps}
}

// plannedMilestone is what a store must hold for p, newly planned for yp; ID and times are
// the store's.
func plannedMilestone(yp domain.YoungPerson, p pathway.Planned) domain.Milestone {
	return domain.Milestone{YoungPersonID: yp.ID, CouncilID: yp.CouncilID, Key: p.Key, Occurrence: p.Occurrence,
		Title: p.Title, Area: p.Area, OwnerAgency: p.OwnerAgency, Statutory: p.Statutory, DueDate: p.Due,
		LapseDate: p.Lapse, Applicable: true, State: domain.Planned, Revision: 1}
}

// ignoreStoreMade leaves out what a store chooses for a planned milestone.
var ignoreStoreMade = cmpopts.IgnoreFields(domain.Milestone{}, "ID", "CreateTime", "UpdateTime")

// storedMilestone is how a milestone written with its times comes back from a store.
func storedMilestone(m domain.Milestone, revision int64) domain.Milestone {
	m.Revision = revision
	m.CreateTime = m.CreateTime.UTC().Truncate(time.Microsecond)
	m.UpdateTime = m.UpdateTime.UTC().Truncate(time.Microsecond)
	ev := make([]domain.Evidence, len(m.Evidence))
	for i, e := range m.Evidence {
		e.RecordTime = e.RecordTime.UTC().Truncate(time.Microsecond)
		ev[i] = e
	}
	m.Evidence = ev
	return m
}

// wantUTC fails unless every evidence record time is in UTC, as stores keep times.
func wantUTC(t *testing.T, m domain.Milestone) {
	t.Helper()
	for i, e := range m.Evidence {
		if e.RecordTime.Location() != time.UTC {
			t.Fatalf("evidence[%d].RecordTime = %v is in %v, want UTC", i, e.RecordTime, e.RecordTime.Location())
		}
	}
}

func createMilestones(t *testing.T, s store.Store, ms ...domain.Milestone) {
	t.Helper()
	createEach(t, s, store.Tx.CreateMilestone, ms...)
}

func getMilestone(t *testing.T, s store.Store, youngPersonID, id string) (domain.Milestone, error) {
	t.Helper()
	return read(t, s, func(tx store.Tx) (domain.Milestone, error) {
		return tx.GetMilestone(context.Background(), youngPersonID, id)
	})
}

func listMilestones(t *testing.T, s store.Store, q store.MilestoneQuery) (ms []domain.Milestone) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		ms, err = tx.ListMilestones(context.Background(), q)
		return err
	})
	return ms
}

func updateMilestone(t *testing.T, s store.Store, m domain.Milestone, ifRevision int64) (out domain.Milestone) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		out, err = tx.UpdateMilestone(context.Background(), m, ifRevision)
		return err
	})
	return out
}

func savePathways(t *testing.T, s store.Store, plans ...store.PathwayPlan) {
	t.Helper()
	savePathwaysAt(t, s, at, plans...)
}

// savePathwaysAt saves the plans and returns what SavePathways says it stored of each.
func savePathwaysAt(t *testing.T, s store.Store, now time.Time, plans ...store.PathwayPlan) (stored [][]domain.Milestone) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		stored, err = tx.SavePathways(context.Background(), now, plans)
		return err
	})
	return stored
}

// milestonesByKey returns a young person's milestones by catalogue key and occurrence
// ("key#1"), and one-offs by id.
func milestonesByKey(t *testing.T, s store.Store, youngPersonID string) map[string]domain.Milestone {
	t.Helper()
	out := map[string]domain.Milestone{}
	for _, m := range listMilestones(t, s, store.MilestoneQuery{YoungPersonID: youngPersonID, Limit: 1000}) {
		k := m.ID
		if m.Key != "" {
			k = occurrenceKey(m.Key, m.Occurrence)
		}
		if _, dup := out[k]; dup {
			t.Fatalf("milestone %s is listed twice", k)
		}
		out[k] = m
	}
	return out
}

func occurrenceKey(key string, occurrence int) string {
	return key + "#" + strconv.Itoa(occurrence)
}

func testMilestones(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	day := func(y int, m time.Month, d int) civil.Date { return civil.New(y, m, d) }

	t.Run("CreateOneOffAndGet", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("m"))
		in := oneOff("m", "one-off", day(2027, time.January, 15))
		var out domain.Milestone
		inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.CreateMilestone(ctx, in); return err })
		want := storedMilestone(in, 1)
		want.Recorded = out.Recorded // the contract does not say whether a new one-off is recorded
		if diff := cmp.Diff(want, out, equateEmpty); diff != "" {
			t.Fatalf("CreateMilestone returned (-want +got):\n%s", diff)
		}
		got, err := getMilestone(t, s, in.YoungPersonID, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Fatalf("GetMilestone (-want +got):\n%s", diff)
		}
	})

	t.Run("CreateForMissingYoungPerson", func(t *testing.T) {
		s := newStore(t)
		err := s.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.CreateMilestone(ctx, oneOff("nobody", "orphan", day(2027, time.January, 15)))
			return err
		})
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("m"))
		_, err := getMilestone(t, s, idOf("m"), idOf("no-milestone"))
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("GetWithWrongYoungPerson", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("owner"), youngPerson("other"))
		m := oneOff("owner", "owned", day(2027, time.January, 15))
		createMilestones(t, s, m)
		_, err := getMilestone(t, s, idOf("other"), m.ID)
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		yp := youngPerson("mu")
		create(t, s, yp)
		p := planned("leaving.plan", 1, day(2026, time.March, 1), day(2027, time.March, 1))
		savePathways(t, s, planFor(yp, "v1", p))
		m := milestonesByKey(t, s, yp.ID)[occurrenceKey(p.Key, 1)]
		if m.Recorded {
			t.Fatal("a freshly planned milestone is already Recorded")
		}
		bst := time.FixedZone("BST", 3600)

		steps := []struct {
			name       string
			change     func(*domain.Milestone)
			ifRevision int64
		}{
			{"schedule", func(m *domain.Milestone) {
				m.State, m.ScheduledDate, m.OwnerOrganisation, m.OwnerPerson = domain.Scheduled, day(2026, time.February, 20), "org-school", "person-1"
			}, 1},
			{"complete", func(m *domain.Milestone) {
				m.State, m.AchievedDate, m.StateReason = domain.Achieved, day(2026, time.February, 21), ""
				m.Evidence = []domain.Evidence{
					{Description: "Plan signed", Reference: "doc-1", RecordedBy: "person-1", RecordTime: at.In(bst)},
					{Description: "Minutes", RecordedBy: "person-2", RecordTime: at.Add(time.Second + 999)},
				}
			}, 0},
			{"reopen without an organisation", func(m *domain.Milestone) {
				m.State, m.AchievedDate, m.StateReason, m.OwnerOrganisation = domain.Scheduled, civil.Date{}, "evidence was for another plan", ""
			}, 3},
			{"waive", func(m *domain.Milestone) {
				m.State, m.ScheduledDate, m.OwnerPerson, m.Evidence, m.StateReason = domain.Waived, civil.Date{}, "", nil, "moved abroad"
			}, 4},
		}
		for i, step := range steps {
			in := m
			step.change(&in)
			in.UpdateTime = at.Add(time.Duration(i+1) * time.Hour)
			out := updateMilestone(t, s, in, step.ifRevision)
			want := storedMilestone(in, m.Revision+1)
			want.Recorded = true
			if diff := cmp.Diff(want, out, equateEmpty); diff != "" {
				t.Fatalf("%s: UpdateMilestone returned (-want +got):\n%s", step.name, diff)
			}
			got, err := getMilestone(t, s, yp.ID, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Fatalf("%s: after update, GetMilestone (-want +got):\n%s", step.name, diff)
			}
			wantUTC(t, out)
			wantUTC(t, got)
			m = got
		}
	})

	t.Run("UpdateKeepsPlannedDetails", func(t *testing.T) {
		// UpdateMilestone stores a change of state, schedule, evidence or reason: what
		// planning owns (title, dates, key...) and the create time are not its to change.
		s := newStore(t)
		yp := youngPerson("mk")
		create(t, s, yp)
		p := planned("leaving.plan", 1, day(2026, time.March, 1), day(2027, time.March, 1))
		savePathways(t, s, planFor(yp, "v1", p))
		before := milestonesByKey(t, s, yp.ID)[occurrenceKey(p.Key, 1)]
		in := before
		in.State, in.ScheduledDate, in.OwnerOrganisation = domain.Scheduled, day(2026, time.February, 1), "org-1"
		in.Title, in.DueDate, in.LapseDate, in.Area, in.Key, in.Occurrence = "Changed", day(2030, 1, 1), day(2031, 1, 1), "HEALTH", "other.key", 7
		in.CreateTime, in.UpdateTime = at.Add(time.Hour), at.Add(time.Hour)
		updateMilestone(t, s, in, 0)
		got, _ := getMilestone(t, s, yp.ID, before.ID)
		want := before
		want.State, want.ScheduledDate, want.OwnerOrganisation = domain.Scheduled, in.ScheduledDate, "org-1"
		want.Recorded, want.Revision, want.UpdateTime = true, 2, at.Add(time.Hour).Truncate(time.Microsecond)
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Fatalf("UpdateMilestone changed what it does not own (-want +got):\n%s", diff)
		}
	})

	t.Run("UpdateStaleRevisionChangesNothing", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("ms"))
		m := oneOff("ms", "ms-1", day(2027, time.January, 15))
		createMilestones(t, s, m)
		before, _ := getMilestone(t, s, m.YoungPersonID, m.ID)
		changed := before
		changed.State, changed.StateReason, changed.UpdateTime = domain.Waived, "lost", at.Add(time.Hour)
		inTx(t, s, func(tx store.Tx) error { // the refused update is committed with the rest
			_, err := tx.UpdateMilestone(ctx, changed, 2)
			wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
			return nil
		})
		got, _ := getMilestone(t, s, m.YoungPersonID, m.ID)
		if diff := cmp.Diff(before, got, equateEmpty); diff != "" {
			t.Fatalf("stale update changed the milestone (-before +after):\n%s", diff)
		}
	})

	t.Run("UpdateMissing", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("mm"))
		m := oneOff("mm", "ghost-milestone", day(2027, time.January, 15))
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateMilestone(ctx, m, 1); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("UpdateOtherYoungPersonsMilestone", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("owner"), youngPerson("other"))
		m := oneOff("owner", "owned", day(2027, time.January, 15))
		createMilestones(t, s, m)
		before, _ := getMilestone(t, s, m.YoungPersonID, m.ID)
		through := before
		through.YoungPersonID, through.State, through.StateReason = idOf("other"), domain.Waived, "not yours"
		for _, ifRevision := range []int64{0, 1} {
			err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateMilestone(ctx, through, ifRevision); return err })
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		}
		got, _ := getMilestone(t, s, m.YoungPersonID, m.ID)
		if diff := cmp.Diff(before, got, equateEmpty); diff != "" {
			t.Fatalf("an update through another young person changed the milestone (-before +after):\n%s", diff)
		}
	})
}
