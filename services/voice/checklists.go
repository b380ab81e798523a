package voice

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/selfassessment"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
)

// factNote marks the fact records a young person's own checklist made: only those are
// withdrawn when the checklist stops confirming them; a fact staff recorded is left alone.
const factNote = "Confirmed by the young person in their self-assessment checklist"

func checklistName(ypID, area string) string { return ypPrefix + ypID + "/skillChecklists/" + area }

// checklistToProto merges the young person's answers (by key) into a checklist.
func checklistToProto(ypID string, c selfassessment.Checklist, answers map[string]domain.SkillAnswer) *pb.SkillChecklist {
	canDo := map[string]bool{}
	out := &pb.SkillChecklist{Name: checklistName(ypID, c.Area), Area: c.Area, Title: c.Title, ConfirmsFacts: c.FactsOf()}
	parts := []string{c.Area}
	for _, it := range c.Items {
		a := answers[it.Key]
		canDo[it.Key] = a.CanDo
		out.Items = append(out.Items, &pb.SkillItem{Key: it.Key, Statement: it.Statement, CanDo: a.CanDo, UpdateTime: timestamp(a.UpdateTime)})
		parts = append(parts, it.Key, strconv.FormatBool(a.CanDo), strconv.FormatInt(a.UpdateTime.UnixMicro(), 10))
	}
	out.Complete, out.Etag = c.Complete(canDo), etagOf(parts...)
	return out
}

func answersByKey(as []domain.SkillAnswer) map[string]domain.SkillAnswer {
	out := make(map[string]domain.SkillAnswer, len(as))
	for _, a := range as {
		out[a.Key] = a
	}
	return out
}

func (s *Server) ListSkillChecklists(ctx context.Context, req *pb.ListSkillChecklistsRequest) (*pb.ListSkillChecklistsResponse, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "youngPeople")
	if err != nil {
		return nil, err
	}
	var answers []domain.SkillAnswer
	err = s.read(ctx, ids[0], func(tx store.Tx, yp domain.YoungPerson) (err error) {
		answers, err = tx.ListSkillAnswers(ctx, yp.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	byKey := answersByKey(answers)
	out := &pb.ListSkillChecklistsResponse{}
	for _, c := range selfassessment.All() {
		out.SkillChecklists = append(out.SkillChecklists, checklistToProto(ids[0], c, byKey))
	}
	return out, nil
}

func (s *Server) UpdateSkillChecklist(ctx context.Context, req *pb.UpdateSkillChecklistRequest) (*pb.SkillChecklist, error) {
	in := req.GetSkillChecklist()
	ids, err := convert.Parse("skill_checklist.name", in.GetName(), "youngPeople", "skillChecklists")
	if err != nil {
		return nil, err
	}
	c, ok := selfassessment.Lookup(ids[1])
	if !ok {
		return nil, errs.Invalid(errs.Violation{Field: "skill_checklist.name",
			Description: "must end in one of housing, health, relationships, activities, finances, careers, independence, identity"})
	}
	var v errs.Violations
	for i, it := range in.GetItems() {
		if _, ok := selfassessment.LookupItem(it.GetKey()); !ok || !strings.HasPrefix(it.GetKey(), c.Area+".") {
			v.Add(fmt.Sprintf("skill_checklist.items[%d].key", i), "is not an item of this checklist")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	var out *pb.SkillChecklist
	err = s.write(ctx, ids[0], func(tx store.Tx, yp domain.YoungPerson) error {
		stored, err := tx.ListSkillAnswers(ctx, yp.ID)
		if err != nil {
			return err
		}
		byKey := answersByKey(stored)
		if etag := in.GetEtag(); etag != "" && etag != checklistToProto(yp.ID, c, byKey).GetEtag() {
			return store.ErrRevisionMismatch
		}
		var changed []domain.SkillAnswer
		for _, it := range in.GetItems() {
			if cur, ok := byKey[it.GetKey()]; ok && cur.CanDo == it.GetCanDo() {
				continue // unchanged: keep when it was answered
			}
			a := domain.SkillAnswer{YoungPersonID: yp.ID, Key: it.GetKey(), CanDo: it.GetCanDo(), Author: author(ctx), UpdateTime: now}
			changed, byKey[a.Key] = append(changed, a), a
		}
		if err := tx.PutSkillAnswers(ctx, changed); err != nil {
			return err
		}
		if err := s.feedReadiness(ctx, tx, yp, byKey, now); err != nil {
			return err
		}
		if stored, err = tx.ListSkillAnswers(ctx, yp.ID); err != nil {
			return err
		}
		out = checklistToProto(yp.ID, c, answersByKey(stored))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// feedReadiness records, in tx, each readiness fact the young person's answers now confirm
// and whose latest record is not already true; and withdraws (records false, with the
// same provenance) each fact they no longer confirm whose latest record their own checklist
// made. A fact staff recorded is never withdrawn. The young person's readiness is then
// reassessed, as RecordFact does, so the cliff-edge view sees the change.
func (s *Server) feedReadiness(ctx context.Context, tx store.Tx, yp domain.YoungPerson, answers map[string]domain.SkillAnswer, now time.Time) error {
	canDo := map[string]bool{}
	for k, a := range answers {
		canDo[k] = a.CanDo
	}
	facts, err := tx.ListFacts(ctx, yp.ID)
	if err != nil {
		return err
	}
	latest := map[string]domain.Fact{}
	for _, f := range facts { // oldest first: the last one wins
		latest[f.Key] = f
	}
	recorded := false
	for key, confirmed := range selfassessment.Confirmed(canDo) {
		last, ok := latest[key]
		ours := ok && last.EvidenceType == domain.ConfirmedByYoungPerson && strings.HasPrefix(last.Note, factNote)
		if confirmed == (ok && last.Value) || !confirmed && !ours {
			continue
		}
		f := convert.NewFact(ctx, yp.ID, key, confirmed, nil, pb.EvidenceType_EVIDENCE_TYPE_CONFIRMED_BY_YOUNG_PERSON, now)
		f.EffectiveDate, f.Note = civil.Today(now), factNote+"."
		if _, err := tx.AddFact(ctx, f); err != nil {
			return err
		}
		recorded = true
	}
	if !recorded {
		return nil
	}
	return s.planner.Reassess(ctx, tx, yp.ID)
}
